//! The conformance suite: one set of behaviours every backend must show against a real database.
//!
//! A backend's `tests/conformance.rs` builds a [`StoreFactory`] and writes
//!
//! ```text
//! storage_core::conformance_tests!(my_backend_tests::factory());
//! ```
//!
//! which expands to one `#[tokio::test]` per case in [`ALL_CASES`], named after the case, so a new case
//! runs on every backend and shows up by name in the test runner. The test crate needs `tokio` (with the
//! `macros` and `rt-multi-thread` features) as a dev-dependency.
//!
//! Oracles come from core: filter cases compare each backend with [`crate::Filter::matches`], hybrid
//! cases with [`crate::fusion::fuse`] over the backend's own legs.

/// Fails the case with a message unless `$cond` holds. Defined before the case modules so textual macro
/// scoping makes it available in all of them.
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($message)+).into());
        }
    };
}

pub mod bench_data;
pub mod cases;
pub mod fixtures;
pub mod memory_cases;
pub mod session_cases;
pub mod task_cases;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;

use crate::store::DocumentStore;

/// What a case returns: `Err` (or a panic) fails the test.
pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Makes stores for the suite.
#[async_trait]
pub trait StoreFactory: Send + Sync {
    /// A fresh, initialized, empty store (no collections) that no other case sees: a new schema on
    /// PostgreSQL, a new temporary folder for the embedded backend. `case` names it.
    async fn fresh(&self, case: &str) -> Arc<dyn DocumentStore>;

    /// A new handle on the store that [`StoreFactory::fresh`] made for `case`, opened from scratch (new
    /// connections, files reopened) as another process would. The caller has closed the old handle.
    async fn reopen(&self, case: &str) -> Arc<dyn DocumentStore>;
}

/// Makes memory stores for the memory suite.
#[async_trait]
pub trait MemoryStoreFactory: Send + Sync {
    /// A fresh, initialized memory store that no other case sees (no memory embedding space recorded).
    async fn fresh_memory_store(&self, case: &str) -> Arc<dyn crate::memory::MemoryStore>;
}

/// A session store and a task queue on the same store (one backend object behind both).
#[derive(Clone)]
pub struct SessionStores {
    /// Sessions, messages, artifacts, agents.
    pub sessions: Arc<dyn crate::session::SessionStore>,
    /// The task queue.
    pub tasks: Arc<dyn crate::task::TaskQueue>,
}

/// Makes stores for the session and task suites.
#[async_trait]
pub trait SessionStoreFactory: Send + Sync {
    /// A fresh, initialized store that no other case sees.
    async fn fresh_session_store(&self, case: &str) -> SessionStores;

    /// Another handle on the store made for `case`, with its own connections, as another process would
    /// open it (for concurrency cases).
    async fn another_handle(&self, case: &str) -> SessionStores;
}

/// A case: an async function of a factory.
pub type CaseFn = for<'a> fn(&'a dyn StoreFactory) -> Pin<Box<dyn Future<Output = TestResult> + Send + 'a>>;

/// Runs one case and turns an `Err` into a panic that names the case.
pub async fn run_case(name: &str, factory: &dyn StoreFactory, case: CaseFn) {
    if let Err(err) = case(factory).await {
        panic!("conformance case `{name}` failed: {err}");
    }
}

/// Calls `$crate::$callback! { args ; module::case, ... }` with every case of the suite: the one list of
/// cases, from which both [`ALL_CASES`] and the generated tests come.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_list {
    ($callback:ident ! [ $($args:tt)* ]) => {
        $crate::$callback! { $($args)* ;
            upsert::upsert_returns_inserted_and_updated_counts,
            upsert::upsert_replaces_text_metadata_and_embedding,
            upsert::duplicate_ids_in_a_batch_keep_the_last_occurrence,
            upsert::batch_with_one_bad_chunk_writes_nothing,
            upsert::empty_batch_writes_nothing,
            upsert::chunks_without_embeddings_are_stored_and_keyword_searchable,
            upsert::upsert_keeps_created_at_and_advances_updated_at,
            upsert::metadata_and_text_round_trip_exactly,
            upsert::bulk_load_keeps_every_batch_searchable_and_exact,
            get_count::get_of_a_missing_id_returns_none,
            get_count::count_counts_every_chunk,
            get_count::list_pages_through_every_chunk_in_bytewise_id_order,
            get_count::list_with_a_filter_returns_only_matching_chunks,
            get_many::get_many_returns_requested_ids_in_request_order_without_missing,
            get_many::get_many_returns_only_the_included_parts,
            get_many::hit_embeddings_are_the_stored_vectors_of_the_hits,
            get_many::get_many_by_filter_pages_in_id_order_like_the_reference,
            get_many::get_many_with_ids_and_a_filter_returns_the_named_chunks_that_match,
            get_many::generated_ids_are_stored_and_list_in_creation_order,
            get_many::delete_all_empties_the_collection_and_keeps_its_space,
            get_many::invalid_get_requests_are_refused,
            collections::collections_are_isolated,
            collections::collections_have_independent_embedding_spaces,
            collections::create_collection_is_idempotent_and_listed,
            collections::drop_collection_removes_its_data,
            collections::operations_on_a_missing_collection_are_refused,
            vector::vector_search_orders_one_hot_fixtures_by_similarity,
            vector::vector_scores_stay_in_unit_range_for_opposite_vectors,
            vector::min_score_drops_weaker_hits,
            vector::vector_ties_break_by_id,
            vector::vector_distances_match_the_reference_metric,
            vector::l2_metric_orders_by_euclidean_distance,
            vector::inner_product_metric_orders_by_dot_product,
            vector::inner_product_scores_keep_ranking_large_products,
            vector::filtered_vector_search_returns_top_k_when_k_match,
            vector::vector_explain_reports_ranks,
            keyword::keyword_search_finds_only_matching_chunks,
            keyword::keyword_relevance_prefers_more_occurrences,
            keyword::keyword_any_word_matches_by_default_and_more_words_rank_first,
            keyword::keyword_match_all_and_explicit_and_require_every_word,
            keyword::keyword_questions_find_chunks_without_every_word,
            keyword_ranking::keyword_ranking_matches_the_bm25_reference,
            keyword_ranking::keyword_ranking_follows_updates_and_deletes,
            keyword_ranking::keyword_ranking_follows_the_collections_bm25_params,
            keyword_ranking::keyword_scores_keep_common_words_in_small_collections,
            keyword::keyword_search_stems_english_words,
            keyword::keyword_phrases_or_and_exclusion,
            keyword::keyword_search_ignores_case,
            keyword::keyword_explain_returns_matched_terms_and_ranks,
            keyword::keyword_queries_with_syntax_characters_never_fail,
            hybrid::hybrid_equals_rrf_fusion_of_its_legs,
            hybrid::hybrid_equals_weighted_min_max_fusion_of_its_legs,
            hybrid::hybrid_explain_reports_each_legs_rank,
            hybrid::hybrid_weights_change_the_order,
            hybrid::hybrid_finds_chunks_that_only_one_leg_finds,
            hybrid::hybrid_min_score_applies_to_the_fused_score,
            filter::filtered_count_matches_the_reference,
            filter::filtered_vector_search_matches_the_reference,
            filter::filtered_keyword_search_matches_the_reference,
            filter::filtered_hybrid_search_matches_the_reference,
            keyword_filtered::filtered_keyword_search_ranks_like_the_reference_when_the_best_matches_fail_the_filter,
            keyword_filtered::filtered_hybrid_search_fuses_its_filtered_legs_when_the_best_matches_fail_the_filter,
            keyword_filtered::keyword_search_is_exact_when_a_tie_outgrows_every_window,
            filter::filtered_list_matches_the_reference,
            filter::numeric_comparison_ignores_values_that_are_not_numbers,
            filter::nin_and_ne_match_chunks_missing_the_key,
            filter::document_filters_match_the_reference_in_every_mode,
            filter::filter_keys_and_values_are_matched_literally,
            filter_limits::filters_at_the_size_limits_match_the_reference_on_every_operation,
            filter_limits::filters_past_the_size_limits_are_refused_naming_the_limit,
            filter_limits::nul_bytes_in_filters_are_refused_naming_the_field,
            delete::delete_ids_returns_how_many_existed,
            delete::delete_ids_with_no_ids_touches_nothing,
            delete::delete_where_matches_the_reference,
            delete::prefix_delete_removes_everything_under_a_folder,
            delete::delete_filters_matching_everything_by_shape_are_refused,
            embedding_space::embedding_space_is_recorded_and_returned,
            embedding_space::a_different_embedding_space_is_refused,
            embedding_space::a_provider_and_model_are_recorded_the_first_time_they_are_given,
            embedding_space::dimension_mismatch_on_write_names_both_numbers,
            embedding_space::dimension_mismatch_on_query_names_both_numbers,
            embedding_space::collection_without_a_space_refuses_vectors_but_takes_text,
            bad_input::nan_and_infinity_never_reach_the_store,
            bad_input::degenerate_vectors_are_refused_where_the_metric_cannot_score_them,
            bad_input::nul_bytes_are_refused_and_nothing_is_written,
            bad_input::long_text_is_stored_faithfully_up_to_the_limit,
            bad_input::oversized_batch_is_refused,
            bad_input::invalid_search_requests_are_refused,
            bad_input::bad_ids_are_refused,
            health::collection_info_counts_the_chunks_that_carry_an_embedding,
            health::health_reports_a_vector_index_an_interrupted_load_left_missing,
            persistence::data_survives_close_and_reopen,
            persistence::initialize_again_keeps_the_data,
            persistence::reset_empties_the_collection_and_forgets_its_space,
            persistence::close_is_idempotent,
            persistence::migrations_go_down_to_zero_and_up_again,
            reembed::reembedding_resumes_after_a_reopen_and_never_redoes_done_rows,
            reembed::searches_use_the_old_space_until_the_switch_and_the_new_one_after,
            reembed::staged_vectors_of_the_wrong_dimension_or_space_are_refused,
            reembed::switch_is_refused_while_rows_lack_a_staged_vector,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_names {
    (; $($module:ident :: $case:ident),* $(,)?) => {
        &[$(stringify!($case)),*]
    };
}

/// The name of every case, in suite order.
pub const ALL_CASES: &[&str] = crate::__conformance_case_list!(__conformance_case_names![]);

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_tests {
    ($factory:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let factory = $factory;
                $crate::testing::run_case(stringify!($case), &factory, |f| {
                    ::std::boxed::Box::pin($crate::testing::cases::$module::$case(f))
                })
                .await;
            }
        )*
    };
}

/// Expands to one `#[tokio::test]` per conformance case, each building its factory with `$factory`.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_case_list!(__conformance_case_tests![$factory]);
    };
}

/// Expands to one `#[tokio::test]` per memory conformance case, each building its factory with `$factory`
/// (a [`MemoryStoreFactory`]).
#[macro_export]
macro_rules! memory_conformance_tests {
    ($factory:expr) => {
        $crate::__suite_tests! { $factory; memory_cases; MemoryStoreFactory;
            remembered_memory_round_trips,
            tenants_never_see_each_others_memories,
            remembering_an_existing_key_updates_in_place,
            dedup_merges_above_the_threshold_only,
            recall_order_follows_the_scoring_function,
            recall_filters_by_kind_tag_status_tier_and_metadata,
            recall_filters_at_the_size_limits_match_the_reference,
            recall_matches_content_and_tags_by_keyword,
            recall_bumps_access_count_and_time,
            recall_without_a_query_ranks_recent_and_important_first,
            blank_text_recalls_the_recent_and_the_important,
            recall_never_returns_expired_memories,
            supersede_links_both_ways_and_hides_the_old_memory,
            supersede_hands_the_key_over_and_refuses_alike,
            history_survives_forget_and_as_of_replays_it,
            expired_memories_are_deleted_or_archived,
            stale_models_are_marked_reembedded_or_purged,
            marking_stale_is_audited_and_counts_only_what_it_changes,
            replacing_the_embedding_space_marks_stale_and_reembed_fixes_it,
            memory_reembedding_recalls_the_old_space_until_the_switch,
            memory_reembedding_refuses_bad_vectors_and_a_second_space,
            the_memory_model_is_recorded_the_first_time_it_is_given,
            list_is_newest_first_and_paginated,
            bad_memories_are_refused_and_nothing_is_written,
            every_backend_refuses_with_cores_own_messages,
        }
    };
}

/// One `#[tokio::test]` per case of a suite module whose cases take `&dyn $factory_trait`.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_tests {
    ($factory:expr; $module:ident; $factory_trait:ident; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let factory = $factory;
                let factory: &dyn $crate::testing::$factory_trait = &factory;
                if let Err(err) = $crate::testing::$module::$case(factory).await {
                    panic!("conformance case `{}` failed: {err}", stringify!($case));
                }
            }
        )*
    };
}

/// Expands to one `#[tokio::test]` per session and task conformance case (a [`SessionStoreFactory`]).
#[macro_export]
macro_rules! session_conformance_tests {
    ($factory:expr) => {
        $crate::__suite_tests! { $factory; session_cases; SessionStoreFactory;
            sessions_are_created_idempotently_and_listed_by_activity,
            session_status_changes_set_completed_at,
            messages_append_in_order_and_idempotently,
            every_write_under_a_session_updates_its_activity_and_counts,
            full_text_search_finds_messages_in_a_session_or_tenant,
            full_text_search_finds_a_word_in_a_multi_megabyte_transcript,
            full_text_search_lists_equal_scores_by_session_then_position,
            artifacts_are_upserted_listed_and_searchable,
            agents_register_and_heartbeat,
            session_summary_reports_duration_and_task_counts,
            sessions_are_confined_to_their_tenant,
            bad_session_input_is_refused,
            bad_reads_are_refused_alike,
        }
        $crate::__suite_tests! { $factory; task_cases; SessionStoreFactory;
            claim_takes_highest_priority_then_oldest,
            claim_honours_kinds_target_agent_and_not_before,
            claim_returns_none_when_nothing_is_eligible,
            enqueue_is_idempotent_per_dedup_key,
            enqueue_with_a_known_dedup_key_returns_the_task_before_checking_the_session,
            complete_records_the_result_once,
            fail_retries_with_backoff_then_dead_letters,
            expired_leases_are_claimable_again_and_fenced,
            dead_lettering_an_expired_lease_keeps_an_earlier_error,
            heartbeat_extends_the_lease,
            cancel_stops_pending_and_running_tasks,
            stats_and_list_report_every_status,
            concurrent_claimers_never_share_a_task,
            tasks_are_confined_to_their_tenant,
            bad_task_input_is_refused,
        }
    };
}
