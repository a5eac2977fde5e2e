//! Go's `text/tabwriter` as `oc` configures it for its tables (min width 0,
//! padding 2, padded with spaces): every cell but the last of a line is padded
//! to the widest cell of its column plus two. Widths count characters.

/// Lay out rows of cells.
pub fn render<S: AsRef<str>>(rows: &[Vec<S>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.as_ref().chars().count() + 2);
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let cell = cell.as_ref();
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_all_but_the_last_column() {
        let t = super::render(&[vec!["NAME", "LOCAL"], vec!["keycloak", "true"]]);
        assert_eq!(t, "NAME      LOCAL\nkeycloak  true\n");
    }
}
