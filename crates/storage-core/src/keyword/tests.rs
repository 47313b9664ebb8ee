//! Unit tests of the keyword query parser, the analyzer and BM25.

use super::*;

fn word(w: &str) -> KeywordTerm {
    KeywordTerm::Word(w.to_owned())
}

fn phrase(words: &[&str]) -> KeywordTerm {
    KeywordTerm::Phrase(words.iter().map(|w| (*w).to_owned()).collect())
}

fn group(include: Vec<KeywordTerm>, exclude: Vec<KeywordTerm>) -> KeywordGroup {
    KeywordGroup { include, exclude }
}

fn check(input: &str, expected: Vec<KeywordGroup>) {
    assert_eq!(KeywordQuery::parse(input, TextLanguage::English).groups, expected, "{input:?}");
}

#[test]
fn stop_word_list_is_sorted_and_complete() {
    assert!(ENGLISH_STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ENGLISH_STOP_WORDS.len(), 127);
}

#[test]
fn words_are_anded_and_lowercased() {
    check("Python database", vec![group(vec![word("python"), word("database")], vec![])]);
    check("+python +database", vec![group(vec![word("python"), word("database")], vec![])]);
    check("python*", vec![group(vec![word("python")], vec![])]);
    check("über café", vec![group(vec![word("über"), word("café")], vec![])]);
}

#[test]
fn quotes_make_phrases_and_unbalanced_quotes_run_to_the_end() {
    check("\"machine learning\"", vec![group(vec![phrase(&["machine", "learning"])], vec![])]);
    check("\"unbalanced quote", vec![group(vec![phrase(&["unbalanced", "quote"])], vec![])]);
    check("\"state of the art\"", vec![group(vec![phrase(&["state", "of", "the", "art"])], vec![])]);
    check("\"the cat\"", vec![group(vec![word("cat")], vec![])]);
    check("\"\"", vec![]);
}

#[test]
fn or_binds_loosest_like_postgres() {
    check("kubernetes or snake", vec![group(vec![word("kubernetes")], vec![]), group(vec![word("snake")], vec![])]);
    check("a b OR c", vec![group(vec![word("b")], vec![]), group(vec![word("c")], vec![])]);
    check(
        "rust compiler or python",
        vec![group(vec![word("rust"), word("compiler")], vec![]), group(vec![word("python")], vec![])],
    );
    check("or python or", vec![group(vec![word("python")], vec![])]);
    check("orange", vec![group(vec![word("orange")], vec![])]);
}

#[test]
fn minus_excludes_words_and_phrases() {
    check("python -snake -database", vec![group(vec![word("python")], vec![word("snake"), word("database")])]);
    check(
        "signal -\"segmentation fault\"",
        vec![group(vec![word("signal")], vec![phrase(&["segmentation", "fault"])])],
    );
    check("- python", vec![group(vec![], vec![word("python")])]);
    check("-", vec![]);
}

#[test]
fn punctuation_separates_and_never_fails() {
    check("lang:python", vec![group(vec![phrase(&["lang", "python"])], vec![])]);
    check("NEAR(python database)", vec![group(vec![word("near"), word("python"), word("database")], vec![])]);
    check("'; DROP TABLE x; --", vec![group(vec![word("drop"), word("table"), word("x")], vec![])]);
    for query in ["!!!", "&|!<->", "\\", "😀", "(", "\"", "--", "or", "the and of"] {
        assert!(KeywordQuery::parse(query, TextLanguage::English).is_empty(), "{query:?}");
    }
}

#[test]
fn simple_language_keeps_stop_words() {
    let query = KeywordQuery::parse("the an of", TextLanguage::Simple);
    assert_eq!(query.groups, vec![group(vec![word("the"), word("an"), word("of")], vec![])]);
    assert_eq!("simple".parse::<TextLanguage>().unwrap(), TextLanguage::Simple);
    assert!("klingon".parse::<TextLanguage>().is_err());
}

#[test]
fn included_words_are_unique_in_query_order() {
    let query = KeywordQuery::parse("pools database or \"database pools\" -x", TextLanguage::English);
    assert_eq!(query.included_words(), ["pools", "database"]);
}

fn check_any(input: &str, expected: Vec<KeywordGroup>) {
    assert_eq!(KeywordQuery::parse_with(input, TextLanguage::English, KeywordMatch::Any).groups, expected, "{input:?}");
}

#[test]
fn any_term_makes_each_word_a_group_and_honours_and_or_phrases_and_exclusions() {
    check_any(
        "how often are backups taken",
        vec![
            group(vec![word("often")], vec![]),
            group(vec![word("backups")], vec![]),
            group(vec![word("taken")], vec![]),
        ],
    );
    check_any("backup and schedule", vec![group(vec![word("backup"), word("schedule")], vec![])]);
    check_any(
        "json or csv pandas",
        vec![group(vec![word("json")], vec![]), group(vec![word("csv")], vec![]), group(vec![word("pandas")], vec![])],
    );
    check_any(
        "python -snake database",
        vec![group(vec![word("python")], vec![word("snake")]), group(vec![word("database")], vec![word("snake")])],
    );
    check_any(
        "\"machine learning\" gpu",
        vec![group(vec![phrase(&["machine", "learning"])], vec![]), group(vec![word("gpu")], vec![])],
    );
    check_any("a and the b", vec![group(vec![word("b")], vec![])]);
    check_any("-python", vec![group(vec![], vec![word("python")])]);
    check_any("the and of", vec![]);
    assert_eq!("ALL".parse::<KeywordMatch>().unwrap(), KeywordMatch::All);
    assert!("some".parse::<KeywordMatch>().unwrap_err().to_string().starts_with("match:"));
}

#[test]
fn and_between_words_is_an_operator_in_both_modes() {
    check("rust and compiler", vec![group(vec![word("rust"), word("compiler")], vec![])]);
    check("android", vec![group(vec![word("android")], vec![])]);
}

#[test]
fn analyzer_folds_lowercases_and_stems_with_snowball_english() {
    assert_eq!(
        analyze("Backups are SCHEDULED nightly; Café-crème", TextLanguage::English),
        ["backup", "are", "schedul", "night", "cafe", "creme"]
    );
    assert_eq!(analyze("Backups Café", TextLanguage::Simple), ["backups", "cafe"]);
    // Snowball (Porter 2), not the original Porter: `generously` → `generous` (Porter: `gener`).
    assert_eq!(analyze_word("generously", TextLanguage::English), "generous");
}

#[test]
fn matched_terms_are_surface_forms_whose_terms_match() {
    let query = KeywordQuery::parse("database pools", TextLanguage::English);
    let terms =
        matched_terms("Python Database access with connection pools; databases POOL", &query, TextLanguage::English);
    assert_eq!(terms, ["database", "pools", "databases", "pool"]);
    let query = KeywordQuery::parse("cafe", TextLanguage::Simple);
    assert_eq!(matched_terms("Un café, un CAFE", &query, TextLanguage::Simple), ["café", "cafe"]);
}

#[test]
fn matching_follows_groups_phrases_and_exclusions() {
    let terms = analyze("nightly backups of the database", TextLanguage::English);
    let matches = |text: &str, mode: KeywordMatch| {
        KeywordQuery::parse_with(text, TextLanguage::English, mode).analyzed(TextLanguage::English).matches(&terms)
    };
    assert!(matches("how often are backups taken", KeywordMatch::Any));
    assert!(!matches("how often are backups taken", KeywordMatch::All));
    assert!(matches("\"backups of the database\"", KeywordMatch::Any));
    assert!(!matches("\"database backups\"", KeywordMatch::Any));
    assert!(!matches("backup -nightly", KeywordMatch::Any));
    assert!(matches("backup and database", KeywordMatch::Any));
    assert!(!matches("backup and restore", KeywordMatch::Any));
}

#[test]
fn bm25_ranks_more_and_rarer_terms_first_and_scores_stay_in_unit_range() {
    let corpus: Vec<(String, Vec<String>)> = [
        ("a", "backup schedule: nightly backups at two"),
        ("b", "the schedule of the team meeting"),
        ("c", "restore a backup from the archive"),
        ("d", "unrelated text about cooking"),
        ("e", "schedule the schedule review"),
        ("f", "gardening in spring"),
        ("g", "a recipe for bread"),
        ("h", "notes on the weather"),
        ("i", "travel plans for june"),
        ("j", "music practice log"),
    ]
    .iter()
    .map(|(id, text)| ((*id).to_owned(), analyze(text, TextLanguage::English)))
    .collect();
    let query = KeywordQuery::parse_with("how often is the backup schedule", TextLanguage::English, KeywordMatch::Any)
        .analyzed(TextLanguage::English);
    let ranked = bm25::reference_ranking(&corpus, &query, bm25::Bm25Params::default());
    let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
    let place = |id: &str| ids.iter().position(|x| *x == id);
    assert_eq!(ids[0], "a", "both terms first: {ids:?}");
    assert!(place("c") < place("b"), "the rarer term (backup) ranks first: {ids:?}");
    assert_eq!(place("d"), None);
    for (_, relevance) in &ranked {
        let score = bm25::score(*relevance);
        assert!(score > 0.0 && score < 1.0, "{score}");
    }
    assert!((bm25::score(bm25::SCORE_HALF) - 0.5).abs() < 1e-6);
    // Lucene's idf: a term in most chunks still counts, less than a rare one.
    assert!(bm25::idf(10.0, 9.0) > 0.1 && bm25::idf(10.0, 9.0) < bm25::idf(10.0, 1.0));
}

#[test]
fn bm25_parameters_are_checked_and_shape_the_ranking() {
    use bm25::Bm25Params;
    assert_eq!(Bm25Params::default(), Bm25Params { k1: 1.2, b: 0.75 });
    for (k1, b, field) in
        [(-0.1, 0.5, "k1"), (f64::NAN, 0.5, "k1"), (101.0, 0.5, "k1"), (1.2, 1.5, "b"), (1.2, -0.1, "b")]
    {
        let err = Bm25Params::new(k1, b).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{field}: ")), "{k1} {b}: {err}");
    }
    assert!(Bm25Params::new(0.0, 0.0).is_ok() && Bm25Params::new(100.0, 1.0).is_ok());
    // A short chunk with the word once against a long one with it three times: with no length
    // normalisation (b = 0) and slow saturation the long one wins; fully normalised with fast saturation,
    // the short one does.
    let short = ("short".to_owned(), analyze("backup notes", TextLanguage::English));
    let long_text = "backup backup backup and a great many other words about other things entirely here";
    let long = ("long".to_owned(), analyze(long_text, TextLanguage::English));
    let filler = ("filler".to_owned(), analyze("weather", TextLanguage::English));
    let corpus = vec![short, long, filler];
    let query = KeywordQuery::parse("backup", TextLanguage::English).analyzed(TextLanguage::English);
    let top = |params: Bm25Params| bm25::reference_ranking(&corpus, &query, params)[0].0.clone();
    assert_eq!(top(Bm25Params { k1: 3.0, b: 0.0 }), "long");
    assert_eq!(top(Bm25Params { k1: 0.5, b: 1.0 }), "short");
}
