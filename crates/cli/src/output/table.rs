//! Aligned text tables for human output.

use std::io::{self, Write};

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// One column of a table with a row per `T`: its header, its alignment, and the cell it shows of a row.
pub(crate) type Column<T> = (&'static str, Align, fn(&T) -> String);

/// A table written with every column padded to its widest cell; the last column is never padded.
#[derive(Debug)]
pub(crate) struct Table {
    headers: Vec<&'static str>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub(crate) fn new(columns: &[(&'static str, Align)]) -> Self {
        Table {
            headers: columns.iter().map(|(name, _)| *name).collect(),
            aligns: columns.iter().map(|(_, align)| *align).collect(),
            rows: Vec::new(),
        }
    }

    /// A table with a row per item, each cell written by its column.
    pub(crate) fn of<T>(items: impl IntoIterator<Item = T>, columns: &[Column<T>]) -> Self {
        let mut table = Table::new(&columns.iter().map(|(name, align, _)| (*name, *align)).collect::<Vec<_>>());
        for item in items {
            table.row(columns.iter().map(|(_, _, cell)| cell(&item)).collect());
        }
        table
    }

    /// Adds a row (one cell per column).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len(), "one cell per column");
        self.rows.push(cells);
    }

    /// Writes the header and the rows.
    pub(crate) fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        self.write_row(out, &header, &widths)?;
        for row in &self.rows {
            self.write_row(out, row, &widths)?;
        }
        Ok(())
    }

    /// Writes the table, or the line `none` when it has no rows.
    pub(crate) fn write_or(&self, out: &mut dyn Write, none: &str) -> io::Result<()> {
        if self.rows.is_empty() {
            return writeln!(out, "{none}");
        }
        self.write(out)
    }

    fn write_row(&self, out: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (idx, cell) in cells.iter().enumerate() {
            if idx > 0 {
                line.push_str("  ");
            }
            let pad = widths[idx].saturating_sub(cell.chars().count());
            match self.aligns[idx] {
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
                Align::Left if idx == last => line.push_str(cell),
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        writeln!(out, "{}", line.trim_end())
    }
}

/// Writes `key: value` lines with the values aligned, leaving out the keys without a value.
pub(crate) fn key_values(out: &mut dyn Write, pairs: &[(&str, Option<String>)]) -> io::Result<()> {
    let pairs: Vec<(&str, &String)> = pairs.iter().filter_map(|(key, value)| Some((*key, value.as_ref()?))).collect();
    let width = pairs.iter().map(|(key, _)| key.chars().count()).max().unwrap_or(0);
    for (key, value) in pairs {
        writeln!(out, "{key:<width$}  {value}", key = format!("{key}:"), width = width + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned() {
        let rows = [(1, "a", "first"), (10, "longer", "second")];
        let columns: [Column<&(i32, &str, &str)>; 3] = [
            ("#", Align::Right, |row| row.0.to_string()),
            ("id", Align::Left, |row| row.1.to_owned()),
            ("text", Align::Left, |row| row.2.to_owned()),
        ];
        let mut out = Vec::new();
        Table::of(&rows, &columns).write_or(&mut out, "none").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, " #  id      text\n 1  a       first\n10  longer  second\n");
        let mut out = Vec::new();
        Table::of(&rows[..0], &columns).write_or(&mut out, "none").unwrap();
        assert_eq!(out, b"none\n");
    }
}
