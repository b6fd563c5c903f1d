//! User-facing text in Japanese and English.
//!
//! Every string shown to users comes from the Fluent files in
//! `crates/ippun-core/locales/`, one per language, compiled into the binary.
//! A message missing from a file shows its identifier rather than failing;
//! the unit tests make sure no message is missing in either language.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// A language ippun speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語
    Ja,
    /// English
    En,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Self; 2] = [Self::Ja, Self::En];

    /// The BCP 47 tag.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    /// The language of a locale name such as `ja_JP.UTF-8`, `ja-JP` or `en-US`;
    /// `None` for a language ippun does not speak.
    pub fn from_locale(locale: &str) -> Option<Self> {
        let primary: String = locale
            .trim()
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase();
        match primary.as_str() {
            "ja" | "jp" => Some(Self::Ja),
            "en" | "c" | "posix" => Some(Self::En),
            _ => None,
        }
    }

    /// The language of the user's environment: `LC_ALL`, `LC_MESSAGES`, `LANG`
    /// (in that order, as POSIX does), then the operating system's setting.
    /// Japanese where the user's locale is Japanese, English otherwise.
    pub fn detect() -> Self {
        Self::detect_from(|k| std::env::var(k).ok(), sys_locale::get_locale)
    }

    fn detect_from(
        env: impl Fn(&str) -> Option<String>,
        system: impl FnOnce() -> Option<String>,
    ) -> Self {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = env(key).filter(|v| !v.is_empty()) {
                return Self::from_locale(&v).unwrap_or(Self::En);
            }
        }
        system()
            .and_then(|l| Self::from_locale(&l))
            .unwrap_or(Self::En)
    }

    /// The translated text of message `id` (or of `id.attribute`).
    pub fn text(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The translated text of `id` with arguments.
    pub fn text_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, *v);
        }
        self.format(id, Some(&fa))
    }

    /// The text of `id` with arguments, read straight from the Fluent file
    /// without the Fluent runtime, for a program that must stay small (the
    /// `ippun` command). Only for a message on one line whose placeables are
    /// all variables (`{ $path }`); any other gives `id`, as a missing message
    /// does. The tests check it agrees with [`Lang::text_with`].
    pub fn plain_text_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let src = match self {
            Self::Ja => JA_FTL,
            Self::En => EN_FTL,
        };
        let mut lines = src.lines();
        let Some(value) = lines
            .by_ref()
            .find_map(|l| l.strip_prefix(id)?.strip_prefix(" = "))
        else {
            return id.to_owned();
        };
        // A continuation line or an attribute makes it more than one line.
        if lines.next().is_some_and(|next| next.starts_with(' ')) {
            return id.to_owned();
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some((name, after)) = rest[open + 1..]
                .split_once('}')
                .and_then(|(inside, after)| Some((inside.trim().strip_prefix('$')?, after)))
            else {
                return id.to_owned();
            };
            match args.iter().find(|(k, _)| *k == name) {
                Some((_, v)) => out.push_str(v),
                None => return id.to_owned(),
            }
            rest = after;
        }
        if rest.contains('}') {
            return id.to_owned();
        }
        out.push_str(rest);
        out
    }

    /// Whether message `id` (or `id.attribute`) exists in this language.
    pub fn has(self, id: &str) -> bool {
        let (msg, attr) = split_id(id);
        bundle(self).get_message(msg).is_some_and(|m| match attr {
            Some(a) => m.get_attribute(a).is_some(),
            None => m.value().is_some(),
        })
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let b = bundle(self);
        let (msg, attr) = split_id(id);
        let Some(m) = b.get_message(msg) else {
            return id.to_owned();
        };
        let pattern = match attr {
            Some(a) => m.get_attribute(a).map(|a| a.value()),
            None => m.value(),
        };
        let Some(pattern) = pattern else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        b.format_pattern(pattern, args, &mut errors).into_owned()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language name that is not `ja` or `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?}: use ja or en")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "ja-jp" | "jp" | "japanese" | "日本語" => Ok(Self::Ja),
            "en" | "en-us" | "en-gb" | "english" => Ok(Self::En),
            _ => Err(UnknownLang(s.into())),
        }
    }
}

fn split_id(id: &str) -> (&str, Option<&str>) {
    match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    }
}

const JA_FTL: &str = include_str!("../locales/ja.ftl");
const EN_FTL: &str = include_str!("../locales/en.ftl");

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static JA: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let (cell, src) = match lang {
        Lang::Ja => (&JA, JA_FTL),
        Lang::En => (&EN, EN_FTL),
    };
    cell.get_or_init(|| build_bundle(lang, src))
}

fn build_bundle(lang: Lang, src: &str) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = match lang {
        Lang::Ja => unic_langid::langid!("ja"),
        Lang::En => unic_langid::langid!("en"),
    };
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Plain text for terminals and labels: no Unicode isolation marks.
    b.set_use_isolating(false);
    // A resource with syntax errors still yields the entries that parsed; the
    // tests below keep the shipped files free of errors.
    let res = FluentResource::try_new(src.to_owned()).unwrap_or_else(|(res, _)| res);
    // Duplicate identifiers keep the first definition.
    let _ = b.add_resource(res);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_agrees_with_fluent_on_every_one_line_message() {
        let mut checked = 0;
        for (lang, src) in [(Lang::Ja, JA_FTL), (Lang::En, EN_FTL)] {
            let res = FluentResource::try_new(src.to_owned()).unwrap();
            for entry in res.entries() {
                let fluent_syntax::ast::Entry::Message(m) = entry else {
                    continue;
                };
                let Some(pattern) = &m.value else { continue };
                let mut vars = Vec::new();
                let simple = pattern.elements.iter().all(|e| match e {
                    fluent_syntax::ast::PatternElement::TextElement { value } => {
                        !value.contains('\n')
                    }
                    fluent_syntax::ast::PatternElement::Placeable {
                        expression:
                            fluent_syntax::ast::Expression::Inline(
                                fluent_syntax::ast::InlineExpression::VariableReference { id },
                            ),
                    } => {
                        vars.push(id.name);
                        true
                    }
                    fluent_syntax::ast::PatternElement::Placeable { .. } => false,
                });
                let id = m.id.name;
                let values: Vec<String> = vars.iter().map(|v| format!("<{v}>")).collect();
                let args: Vec<(&str, &str)> = vars
                    .iter()
                    .zip(&values)
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect();
                let plain = lang.plain_text_with(id, &args);
                if simple && m.attributes.is_empty() {
                    assert_eq!(plain, lang.text_with(id, &args), "{lang} {id}");
                    checked += 1;
                } else {
                    assert_eq!(
                        plain, id,
                        "{lang} {id} is not one line of text and variables"
                    );
                }
            }
        }
        assert!(checked > 100, "only {checked} messages checked");
        // The message the `ippun` command says itself is one of them.
        for lang in Lang::ALL {
            let args = [("path", "/x/ippun-app"), ("reason", "gone")];
            assert_ne!(
                lang.plain_text_with("cli-app-missing", &args),
                "cli-app-missing"
            );
        }
    }

    #[test]
    fn shipped_files_parse_without_errors() {
        for (name, src) in [("ja", JA_FTL), ("en", EN_FTL)] {
            if let Err((_, errs)) = FluentResource::try_new(src.to_owned()) {
                panic!("{name}.ftl has syntax errors: {errs:?}");
            }
            let mut b = FluentBundle::new_concurrent(vec![unic_langid::langid!("en")]);
            let res = FluentResource::try_new(src.to_owned()).unwrap();
            assert!(b.add_resource(res).is_ok(), "{name}.ftl has duplicate ids");
        }
    }

    #[test]
    fn both_files_have_the_same_messages() {
        let ids = |src: &str| {
            let res = FluentResource::try_new(src.to_owned()).unwrap();
            let mut out: Vec<String> = Vec::new();
            for entry in res.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    out.push(m.id.name.to_owned());
                    for a in &m.attributes {
                        out.push(format!("{}.{}", m.id.name, a.id.name));
                    }
                }
            }
            out.sort();
            out
        };
        assert_eq!(ids(JA_FTL), ids(EN_FTL));
    }

    #[test]
    fn locale_detection() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            Lang::detect_from(env(&[("LANG", "ja_JP.UTF-8")]), || None),
            Lang::Ja
        );
        assert_eq!(
            Lang::detect_from(env(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")]), || None),
            Lang::En
        );
        assert_eq!(
            Lang::detect_from(env(&[("LANG", "")]), || Some("ja-JP".into())),
            Lang::Ja
        );
        assert_eq!(
            Lang::detect_from(env(&[]), || Some("fr-FR".into())),
            Lang::En
        );
        assert_eq!(Lang::detect_from(env(&[]), || None), Lang::En);
    }

    #[test]
    fn missing_ids_fall_back_to_the_id() {
        assert_eq!(Lang::En.text("no-such-message"), "no-such-message");
        assert!(!Lang::Ja.has("no-such-message"));
        assert_eq!("JA".parse::<Lang>().unwrap(), Lang::Ja);
        assert!("de".parse::<Lang>().is_err());
    }
}
