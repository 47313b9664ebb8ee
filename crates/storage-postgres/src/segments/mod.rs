//! Full-text search over contents of any size: a content is indexed as `tsvector` segments, one row each.
//!
//! PostgreSQL refuses a `tsvector` over 1 MB and caps word positions at 16,383, so one `tsvector` per
//! multi-megabyte transcript fails, and phrases past the cap stop matching. Instead [`cut`] slices a
//! content into segments of at most [`SEGMENT_BYTES`], cut at whitespace, each starting with the last
//! ~[`OVERLAP_BYTES`] of the previous one so a phrase that straddles a cut is whole in one segment. The
//! segment tables (`bs_message_segments`, `bs_artifact_segments`) hold one GIN-indexed `tsvector` per slice.
//!
//! A query is core's [`storage_core::KeywordQuery`] (websearch syntax), evaluated over the whole content
//! by [`search::TermQuery`]: a word or phrase is present when any segment contains it, so `a b` finds a
//! transcript with `a` in its first minute and `b` in its last; phrases are matched within a segment.

pub(crate) mod search;

/// The largest segment, in bytes: small enough that positions stay below PostgreSQL's 16,383 cap.
pub(crate) const SEGMENT_BYTES: usize = 16 * 1024;

/// How far a segment reaches back into the previous one, in bytes.
pub(crate) const OVERLAP_BYTES: usize = 512;

/// The largest index at or below `at` that is a char boundary of `text`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The segments of `content`: slices of at most [`SEGMENT_BYTES`], cut at whitespace where there is some
/// in the second half of the window, each after the first starting at a word boundary within the last
/// [`OVERLAP_BYTES`] of the previous one. Blank content has no segments.
pub(crate) fn cut(content: &str) -> Vec<&str> {
    if content.trim().is_empty() {
        return Vec::new();
    }
    let mut segments = Vec::new();
    let mut start = 0;
    loop {
        if content.len() - start <= SEGMENT_BYTES {
            segments.push(&content[start..]);
            return segments;
        }
        let limit = floor_boundary(content, start + SEGMENT_BYTES);
        let window = &content[start..limit];
        let end = match window.rfind(char::is_whitespace) {
            Some(idx) if idx >= SEGMENT_BYTES / 2 => start + idx,
            // No whitespace in the second half: one very long word; cut it at a char boundary.
            _ => limit,
        };
        segments.push(&content[start..end]);
        let back = floor_boundary(content, end.saturating_sub(OVERLAP_BYTES).max(start + 1));
        let next = content[back..end].find(char::is_whitespace).map_or(end, |idx| back + idx);
        start = if next > start { next } else { end };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> String {
        (0..n).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn short_and_blank_contents() {
        assert_eq!(cut("hello world"), ["hello world"]);
        assert!(cut("").is_empty());
        assert!(cut(" \n\t").is_empty());
    }

    #[test]
    fn long_contents_are_cut_at_whitespace_and_cover_every_word() {
        let text = words(20_000);
        let segments = cut(&text);
        assert!(segments.len() > 5, "{}", segments.len());
        assert!(segments.iter().all(|s| s.len() <= SEGMENT_BYTES));
        let whole: std::collections::HashSet<&str> = segments.iter().flat_map(|s| s.split_whitespace()).collect();
        for (idx, word) in text.split_whitespace().enumerate() {
            assert!(whole.contains(word), "word {idx} `{word}` is in no segment whole");
        }
        assert!(segments.first().is_some_and(|s| s.starts_with("word0 ")));
        assert!(segments.last().is_some_and(|s| s.ends_with("word19999")));
    }

    #[test]
    fn a_phrase_across_a_cut_is_whole_in_the_next_segment() {
        let text = words(20_000);
        let segments = cut(&text);
        for pair in segments.windows(2) {
            let tail: Vec<&str> = pair[0].split_whitespace().rev().take(10).collect();
            let phrase: Vec<&str> = tail.into_iter().rev().collect();
            let phrase = phrase.join(" ");
            assert!(pair[1].contains(&phrase), "`{phrase}` is not repeated at the start of the next segment");
        }
    }

    #[test]
    fn text_without_whitespace_is_cut_at_char_boundaries() {
        let text = "é".repeat(SEGMENT_BYTES * 2);
        let segments = cut(&text);
        assert!(segments.len() >= 2);
        assert!(segments.iter().all(|s| s.len() <= SEGMENT_BYTES && !s.is_empty()));
        assert_eq!(segments.iter().map(|s| s.len()).sum::<usize>(), text.len(), "no overlap without words");
    }
}
