//! `ippun explain`: the error catalogue for help desks.

use std::io::{self, Write};

use ippun_core::error::Explanation;
use ippun_core::{ErrorCode, Lang, Origin};

use crate::Failure;
use crate::cli::ExplainArgs;

pub fn run(args: &ExplainArgs, lang: Lang) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    if args.all {
        let all: Vec<Explanation> = ErrorCode::ALL.iter().map(|c| c.explain(lang)).collect();
        if args.json {
            writeln!(out, "{}", to_json(&all))?;
        } else {
            write_table(&mut out, &all, lang)?;
        }
        return Ok(());
    }
    let input = args.code.as_deref().unwrap_or_default();
    let Ok(code) = input.parse::<ErrorCode>() else {
        return Err(Failure::Usage(unknown(input, lang)));
    };
    let e = code.explain(lang);
    if args.json {
        writeln!(out, "{}", to_json(&e))?;
    } else {
        write_one(&mut out, &e, lang)?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Explanations hold only strings, booleans and enums: serialising cannot fail.
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn unknown(input: &str, lang: Lang) -> String {
    let mut msg = lang.text_with("explain-unknown", &[("code", input.trim())]);
    let near = ErrorCode::suggestions(input);
    if !near.is_empty() {
        let list: Vec<&str> = near.iter().map(|c| c.as_str()).collect();
        msg.push(' ');
        msg.push_str(&lang.text_with("explain-did-you-mean", &[("codes", &list.join(", "))]));
    }
    msg.push(' ');
    msg.push_str(&lang.text("explain-see-all"));
    msg
}

fn origin_label(origin: Origin, lang: Lang) -> String {
    match origin {
        Origin::Manual => lang.text("explain-origin-manual"),
        Origin::Extension => lang.text("explain-origin-extension"),
    }
}

fn write_one(out: &mut impl Write, e: &Explanation, lang: Lang) -> io::Result<()> {
    let yes_no = if e.retryable {
        "explain-yes"
    } else {
        "explain-no"
    };
    writeln!(out, "{} — {}", e.code, e.message)?;
    writeln!(out)?;
    for (label, value) in [
        ("explain-phase", e.phase_label.clone()),
        ("explain-remedy", e.remedy.clone()),
        ("explain-retry", lang.text(yes_no)),
        ("explain-origin", origin_label(e.origin, lang)),
        ("explain-helpdesk", e.helpdesk.clone()),
    ] {
        let label = lang.text(label);
        writeln!(
            out,
            "{}",
            lang.text_with("explain-line", &[("label", &label), ("value", &value)])
        )?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, all: &[Explanation], lang: Lang) -> io::Result<()> {
    let head_code = lang.text("explain-header-code");
    let head_phase = lang.text("explain-header-phase");
    let code_width = display_width(&head_code).max(4) + 2;
    let phase_width = all
        .iter()
        .map(|e| display_width(&e.phase_label))
        .chain([display_width(&head_phase)])
        .max()
        .unwrap_or(0)
        + 2;
    writeln!(
        out,
        "{}{}{}",
        pad(&head_code, code_width),
        pad(&head_phase, phase_width),
        lang.text("explain-header-message"),
    )?;
    for e in all {
        let mark = match e.origin {
            Origin::Manual => String::new(),
            Origin::Extension => format!(" ({})", origin_label(e.origin, lang)),
        };
        writeln!(
            out,
            "{}{}{}{}",
            pad(e.code, code_width),
            pad(&e.phase_label, phase_width),
            e.message,
            mark
        )?;
    }
    Ok(())
}

/// `s` followed by spaces up to `width` terminal columns.
pub fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// Terminal columns of a string: CJK and full-width forms take two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115f}'
            | '\u{2e80}'..='\u{a4cf}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{f900}'..='\u{faff}'
            | '\u{fe30}'..='\u{fe4f}'
            | '\u{ff00}'..='\u{ff60}'
            | '\u{ffe0}'..='\u{ffe6}' => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_counts_japanese_as_two_columns() {
        assert_eq!(display_width("Setup"), 5);
        assert_eq!(display_width("初期設定・トークン追加"), 22);
    }

    #[test]
    fn unknown_codes_suggest_and_point_to_the_list() {
        let m = unknown("SOB1", Lang::En);
        assert!(m.contains("S0B1"), "{m}");
        assert!(m.contains("--all"), "{m}");
    }
}
