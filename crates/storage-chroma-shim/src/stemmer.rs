//! Martin Porter's original stemmer, the algorithm of SQLite FTS5's `porter` tokenizer, used to report
//! which words of a hit matched the query (explain's matched terms).

/// The Porter stem of a lowercase word. Words shorter than 3 or longer than 64 bytes, and words with
/// non-ASCII letters, are returned unchanged, as FTS5 does.
pub(crate) fn stem(word: &str) -> String {
    if word.len() < 3 || word.len() > 64 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word.to_owned();
    }
    let mut stemmer = Stemmer { b: word.as_bytes().to_vec(), k: word.len() - 1, j: 0 };
    stemmer.step1ab();
    if stemmer.k > 0 {
        stemmer.step1c();
        stemmer.step2();
        stemmer.step3();
        stemmer.step4();
        stemmer.step5();
    }
    stemmer.b.truncate(stemmer.k + 1);
    String::from_utf8(stemmer.b).unwrap_or_else(|_| word.to_owned())
}

struct Stemmer {
    b: Vec<u8>,
    k: usize,
    j: usize,
}

impl Stemmer {
    fn cons(&self, i: usize) -> bool {
        match self.b[i] {
            b'a' | b'e' | b'i' | b'o' | b'u' => false,
            b'y' => i == 0 || !self.cons(i - 1),
            _ => true,
        }
    }

    /// The number of vowel-consonant sequences in `b[0..=j]`.
    fn m(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        loop {
            if i > self.j {
                return n;
            }
            if !self.cons(i) {
                break;
            }
            i += 1;
        }
        i += 1;
        loop {
            loop {
                if i > self.j {
                    return n;
                }
                if self.cons(i) {
                    break;
                }
                i += 1;
            }
            i += 1;
            n += 1;
            loop {
                if i > self.j {
                    return n;
                }
                if !self.cons(i) {
                    break;
                }
                i += 1;
            }
            i += 1;
        }
    }

    fn vowel_in_stem(&self) -> bool {
        (0..=self.j).any(|i| !self.cons(i))
    }

    fn double_cons(&self, j: usize) -> bool {
        j >= 1 && self.b[j] == self.b[j - 1] && self.cons(j)
    }

    fn cvc(&self, i: usize) -> bool {
        i >= 2 && self.cons(i) && !self.cons(i - 1) && self.cons(i - 2) && !matches!(self.b[i], b'w' | b'x' | b'y')
    }

    fn ends(&mut self, suffix: &str) -> bool {
        let suffix = suffix.as_bytes();
        let len = suffix.len();
        if len > self.k + 1 || &self.b[self.k + 1 - len..=self.k] != suffix {
            return false;
        }
        // j may "underflow" to before the word when the whole word is the suffix; callers then see m() = 0.
        self.j = (self.k + 1 - len).wrapping_sub(1);
        true
    }

    fn j_valid(&self) -> bool {
        self.j != usize::MAX
    }

    fn set_to(&mut self, replacement: &str) {
        let start = self.j.wrapping_add(1);
        self.b.truncate(start);
        self.b.extend_from_slice(replacement.as_bytes());
        self.k = (start + replacement.len()).wrapping_sub(1);
    }

    fn r(&mut self, replacement: &str) {
        if self.j_valid() && self.m() > 0 {
            self.set_to(replacement);
        }
    }

    fn step1ab(&mut self) {
        if self.b[self.k] == b's' {
            if self.ends("sses") {
                self.k -= 2;
            } else if self.ends("ies") {
                self.set_to("i");
            } else if self.k >= 1 && self.b[self.k - 1] != b's' {
                self.k -= 1;
            }
        }
        self.b.truncate(self.k + 1);
        if self.ends("eed") {
            if self.j_valid() && self.m() > 0 {
                self.k -= 1;
            }
        } else if (self.ends("ed") || self.ends("ing")) && self.j_valid() && self.vowel_in_stem() {
            self.k = self.j;
            self.b.truncate(self.k + 1);
            if self.ends("at") {
                self.set_to("ate");
            } else if self.ends("bl") {
                self.set_to("ble");
            } else if self.ends("iz") {
                self.set_to("ize");
            } else if self.double_cons(self.k) {
                if !matches!(self.b[self.k], b'l' | b's' | b'z') {
                    self.k -= 1;
                }
            } else {
                self.j = self.k;
                if self.m() == 1 && self.cvc(self.k) {
                    self.b.truncate(self.k + 1);
                    self.b.push(b'e');
                    self.k += 1;
                }
            }
        }
        self.b.truncate(self.k + 1);
    }

    fn step1c(&mut self) {
        if self.ends("y") && self.j_valid() && self.vowel_in_stem() {
            self.b[self.k] = b'i';
        }
    }

    fn replace_first(&mut self, rules: &[(&str, &str)]) {
        for (suffix, replacement) in rules {
            if self.ends(suffix) {
                self.r(replacement);
                return;
            }
        }
    }

    fn step2(&mut self) {
        if self.k < 1 {
            return;
        }
        let rules: &[(&str, &str)] = match self.b[self.k - 1] {
            b'a' => &[("ational", "ate"), ("tional", "tion")],
            b'c' => &[("enci", "ence"), ("anci", "ance")],
            b'e' => &[("izer", "ize")],
            b'l' => &[("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")],
            b'o' => &[("ization", "ize"), ("ation", "ate"), ("ator", "ate")],
            b's' => &[("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")],
            b't' => &[("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")],
            b'g' => &[("logi", "log")],
            _ => return,
        };
        self.replace_first(rules);
    }

    fn step3(&mut self) {
        let rules: &[(&str, &str)] = match self.b[self.k] {
            b'e' => &[("icate", "ic"), ("ative", ""), ("alize", "al")],
            b'i' => &[("iciti", "ic")],
            b'l' => &[("ical", "ic"), ("ful", "")],
            b's' => &[("ness", "")],
            _ => return,
        };
        self.replace_first(rules);
    }

    fn step4(&mut self) {
        if self.k < 1 {
            return;
        }
        let suffixes: &[&str] = match self.b[self.k - 1] {
            b'a' => &["al"],
            b'c' => &["ance", "ence"],
            b'e' => &["er"],
            b'i' => &["ic"],
            b'l' => &["able", "ible"],
            b'n' => &["ant", "ement", "ment", "ent"],
            b'o' => {
                if self.ends("ion") && self.j_valid() && matches!(self.b[self.j], b's' | b't') {
                    self.cut_if_m_above_one();
                    return;
                }
                &["ou"]
            }
            b's' => &["ism"],
            b't' => &["ate", "iti"],
            b'u' => &["ous"],
            b'v' => &["ive"],
            b'z' => &["ize"],
            _ => return,
        };
        if suffixes.iter().any(|s| self.ends(s)) {
            self.cut_if_m_above_one();
        }
    }

    fn cut_if_m_above_one(&mut self) {
        if self.j_valid() && self.m() > 1 {
            self.k = self.j;
            self.b.truncate(self.k + 1);
        }
    }

    fn step5(&mut self) {
        self.j = self.k;
        if self.b[self.k] == b'e' {
            let m = self.m();
            if m > 1 || (m == 1 && !self.cvc(self.k - 1)) {
                self.k -= 1;
            }
        }
        // m() still measures the stem as it was before any `e` was removed, as in Porter's reference.
        if self.b[self.k] == b'l' && self.double_cons(self.k) && self.m() > 1 {
            self.k -= 1;
        }
        self.b.truncate(self.k + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn stems_match_porters_reference_vocabulary() {
        for (word, expected) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("cats", "cat"),
            ("feed", "feed"),
            ("agreed", "agre"),
            ("plastered", "plaster"),
            ("motoring", "motor"),
            ("sing", "sing"),
            ("conflated", "conflat"),
            ("hopping", "hop"),
            ("falling", "fall"),
            ("filing", "file"),
            ("happy", "happi"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("generalization", "gener"),
            ("running", "run"),
            ("runs", "run"),
            ("runner", "runner"),
            ("database", "databas"),
            ("pools", "pool"),
            ("connection", "connect"),
            ("learning", "learn"),
            ("machine", "machin"),
            ("python", "python"),
            ("is", "is"),
            ("café", "café"),
        ] {
            assert_eq!(stem(word), expected, "{word}");
        }
    }
}
