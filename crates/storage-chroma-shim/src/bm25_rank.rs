//! `bs_bm25(fts, k1, b)`: core's BM25 (`storage_core::keyword::bm25`) as an FTS5 auxiliary function, the
//! relevance (higher is better) of the current row, registered on every connection.
//!
//! FTS5's built-in `bm25()` fixes k1 = 1.2 and b = 0.75 and uses `ln((N - n + 0.5) / (n + 0.5))` floored at
//! 1e-6, which scores a word found in half the chunks or more as nothing. This function reads the same
//! statistics FTS5's does through the auxiliary function API (row count, total and row sizes in tokens,
//! each phrase's matching rows and instances) and applies core's `idf`, `Bm25Params::term_relevance` and
//! the collection's k1 and b, so the embedded backend ranks exactly as core's reference and PostgreSQL do.
//!
//! SQLite's C API is the only way to add an FTS5 auxiliary function (neither sqlx nor sea-orm expose it),
//! so this is the crate's one FFI module; every `unsafe` block says why it is sound.

use std::ffi::{c_int, c_void};
use std::ptr::{self, NonNull};

use libsqlite3_sys::{
    Fts5Context, Fts5ExtensionApi, SQLITE_DONE, SQLITE_ERROR, SQLITE_MISUSE, SQLITE_OK, SQLITE_ROW, fts5_api, sqlite3,
    sqlite3_context, sqlite3_value,
};
use storage_core::keyword::bm25;

/// The function's SQL name.
pub(crate) const FUNCTION: &str = "bs_bm25";

/// What one query's rows share: computed on its first row, kept as FTS5 auxdata until the query ends.
struct QueryStats {
    /// `avgdl`: the mean row length in tokens.
    mean_row_tokens: f64,
    /// Each phrase's idf, in FTS5's phrase order.
    idfs: Vec<f64>,
    /// Scratch for the current row's phrase frequencies.
    frequencies: Vec<f64>,
}

/// Registers [`FUNCTION`] on `db`.
pub(crate) fn register(db: NonNull<sqlite3>) -> Result<(), String> {
    let api = fts5_api_of(db)?;
    // SAFETY: `api` is the live fts5_api SQLite returned for this connection (checked non-null and of
    // version 2 or later, which has xCreateFunction); the name is a NUL-terminated static string;
    // `rank_row` matches `fts5_extension_function`, and no user data is passed, so there is nothing to free.
    let rc = unsafe {
        let create = (*api).xCreateFunction.ok_or("fts5_api has no xCreateFunction")?;
        create(api, c"bs_bm25".as_ptr(), ptr::null_mut(), Some(rank_row), None)
    };
    if rc == SQLITE_OK { Ok(()) } else { Err(format!("cannot register {FUNCTION}: SQLite error {rc}")) }
}

/// The connection's `fts5_api`, through `SELECT fts5(?1)` with a pointer bound (FTS5's documented way).
fn fts5_api_of(db: NonNull<sqlite3>) -> Result<*mut fts5_api, String> {
    let mut api: *mut fts5_api = ptr::null_mut();
    let mut stmt = ptr::null_mut();
    // SAFETY: `db` is an open connection held exclusively by the caller (sqlx's locked handle); the SQL and
    // the pointer type are NUL-terminated static strings; `api` outlives the statement, which is finalized
    // before returning, and the bound pointer has no destructor.
    let rc = unsafe {
        let mut rc = libsqlite3_sys::sqlite3_prepare_v2(
            db.as_ptr(),
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc == SQLITE_OK {
            rc = libsqlite3_sys::sqlite3_bind_pointer(
                stmt,
                1,
                (&raw mut api).cast::<c_void>(),
                c"fts5_api_ptr".as_ptr(),
                None,
            );
        }
        if rc == SQLITE_OK {
            rc = libsqlite3_sys::sqlite3_step(stmt);
        }
        libsqlite3_sys::sqlite3_finalize(stmt);
        rc
    };
    if rc != SQLITE_ROW && rc != SQLITE_DONE {
        return Err(format!("cannot reach FTS5's API: SQLite error {rc}"));
    }
    // SAFETY: a non-null `api` points to the connection's fts5_api, which lives as long as the connection.
    if api.is_null() || unsafe { (*api).iVersion } < 2 {
        return Err("this SQLite has no FTS5 API of version 2 or later".to_owned());
    }
    Ok(api)
}

/// `bs_bm25(fts, k1, b)` for the current row: the relevance, or an SQLite error.
unsafe extern "C" fn rank_row(
    api: *const Fts5ExtensionApi,
    fts: *mut Fts5Context,
    ctx: *mut sqlite3_context,
    n_args: c_int,
    args: *mut *mut sqlite3_value,
) {
    // SAFETY: FTS5 calls this with its live extension API, the cursor's context and `n_args` argument values,
    // all valid for the duration of the call; `relevance` only uses them within it.
    unsafe {
        if n_args != 2 {
            let message = c"bs_bm25(fts, k1, b) takes k1 and b";
            libsqlite3_sys::sqlite3_result_error(ctx, message.as_ptr(), -1);
            return;
        }
        let k1 = libsqlite3_sys::sqlite3_value_double(*args);
        let b = libsqlite3_sys::sqlite3_value_double(*args.add(1));
        match relevance(&*api, fts, bm25::Bm25Params { k1, b }) {
            Ok(relevance) => libsqlite3_sys::sqlite3_result_double(ctx, relevance),
            Err(rc) => libsqlite3_sys::sqlite3_result_error_code(ctx, rc),
        }
    }
}

/// The current row's relevance: FTS5's `bm25()` computation (fts5_aux.c) with core's idf and parameters.
///
/// # Safety
/// `api` and `fts` must be the values FTS5 passed to the running auxiliary function call.
unsafe fn relevance(api: &Fts5ExtensionApi, fts: *mut Fts5Context, params: bm25::Bm25Params) -> Result<f64, c_int> {
    let call = |rc: c_int| if rc == SQLITE_OK { Ok(()) } else { Err(rc) };
    let get_auxdata = api.xGetAuxdata.ok_or(SQLITE_MISUSE)?;
    // SAFETY: auxdata at this slot is only ever set below, to a `Box<QueryStats>` owned by FTS5 until the
    // query ends; FTS5 runs one call at a time per cursor, so the mutable borrow is unique.
    let mut stats = unsafe { get_auxdata(fts, 0).cast::<QueryStats>() };
    if stats.is_null() {
        // SAFETY: as this function's contract.
        let computed = Box::new(unsafe { query_stats(api, fts)? });
        let set_auxdata = api.xSetAuxdata.ok_or(SQLITE_MISUSE)?;
        stats = Box::into_raw(computed);
        // SAFETY: FTS5 takes ownership and frees it with `drop_stats` (also when setting fails).
        call(unsafe { set_auxdata(fts, stats.cast::<c_void>(), Some(drop_stats)) })?;
    }
    // SAFETY: non-null and live until the query ends (see above).
    let stats = unsafe { &mut *stats };
    stats.frequencies.iter_mut().for_each(|f| *f = 0.0);
    let (inst_count, inst, column_size) =
        (api.xInstCount.ok_or(SQLITE_MISUSE)?, api.xInst.ok_or(SQLITE_MISUSE)?, api.xColumnSize.ok_or(SQLITE_MISUSE)?);
    let mut instances: c_int = 0;
    // SAFETY: FTS5 API calls on the current row with valid out-pointers.
    call(unsafe { inst_count(fts, &mut instances) })?;
    for idx in 0..instances {
        let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
        // SAFETY: as above; `idx` is below the instance count FTS5 reported.
        call(unsafe { inst(fts, idx, &mut phrase, &mut column, &mut offset) })?;
        if let Some(frequency) = usize::try_from(phrase).ok().and_then(|p| stats.frequencies.get_mut(p)) {
            *frequency += 1.0;
        }
    }
    let mut row_tokens: c_int = 0;
    // SAFETY: as above; -1 asks for the row's size over all columns.
    call(unsafe { column_size(fts, -1, &mut row_tokens) })?;
    Ok(stats
        .idfs
        .iter()
        .zip(&stats.frequencies)
        .map(|(idf, frequency)| params.term_relevance(*idf, *frequency, f64::from(row_tokens), stats.mean_row_tokens))
        .sum())
}

/// `N`, `avgdl` and each phrase's idf for the running query.
///
/// # Safety
/// As [`relevance`].
unsafe fn query_stats(api: &Fts5ExtensionApi, fts: *mut Fts5Context) -> Result<QueryStats, c_int> {
    let call = |rc: c_int| if rc == SQLITE_OK { Ok(()) } else { Err(rc) };
    let (row_count, total_size, phrase_count, query_phrase) = (
        api.xRowCount.ok_or(SQLITE_MISUSE)?,
        api.xColumnTotalSize.ok_or(SQLITE_MISUSE)?,
        api.xPhraseCount.ok_or(SQLITE_MISUSE)?,
        api.xQueryPhrase.ok_or(SQLITE_MISUSE)?,
    );
    let (mut rows, mut tokens): (i64, i64) = (0, 0);
    // SAFETY: FTS5 API calls on the running query with valid out-pointers.
    call(unsafe { row_count(fts, &mut rows) })?;
    // SAFETY: as above.
    call(unsafe { total_size(fts, -1, &mut tokens) })?;
    // SAFETY: as above.
    let phrases = unsafe { phrase_count(fts) };
    let rows_f = rows as f64;
    let mut idfs = Vec::with_capacity(usize::try_from(phrases).map_err(|_| SQLITE_ERROR)?);
    for phrase in 0..phrases {
        let mut containing: i64 = 0;
        // SAFETY: `count_row` only increments the i64 it is given, which outlives the call.
        call(unsafe { query_phrase(fts, phrase, (&raw mut containing).cast::<c_void>(), Some(count_row)) })?;
        idfs.push(bm25::idf(rows_f, containing as f64));
    }
    Ok(QueryStats {
        mean_row_tokens: if rows > 0 { tokens as f64 / rows_f } else { 0.0 },
        frequencies: vec![0.0; idfs.len()],
        idfs,
    })
}

/// xQueryPhrase's callback: counts the rows containing the phrase.
unsafe extern "C" fn count_row(_api: *const Fts5ExtensionApi, _fts: *mut Fts5Context, count: *mut c_void) -> c_int {
    // SAFETY: `query_stats` passes a pointer to its live i64 counter.
    unsafe { *count.cast::<i64>() += 1 };
    SQLITE_OK
}

/// FTS5's destructor for the auxdata set in [`relevance`].
unsafe extern "C" fn drop_stats(stats: *mut c_void) {
    if !stats.is_null() {
        // SAFETY: the pointer came from `Box::into_raw` of a `QueryStats` and FTS5 frees it once.
        drop(unsafe { Box::from_raw(stats.cast::<QueryStats>()) });
    }
}
