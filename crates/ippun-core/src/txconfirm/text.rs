//! What a transaction may say: the one rule for the payee, account,
//! reference, amount and currency, applied by the center when the bank
//! posts a transaction and by the app before it shows one.
//!
//! Transaction confirmation only protects the customer if the text on the
//! screen cannot pass for other text than the bytes the answer is bound to.
//! So a text field (payee, account, reference) is 1 to
//! [`MAX_TEXT_CHARS`] characters, already in Unicode Normalization Form C
//! (what is shown, hashed and posted are the same characters), without a
//! leading or trailing space, and without any character of a
//! [`CharClass`]:
//!
//! - control characters (Cc), line and paragraph separators (Zl, Zp);
//! - bidirectional controls (U+061C, U+200E/F, U+202A–E, U+2066–9) and
//!   right-to-left letters and digits (`Bidi_Class` R, AL, AN): the window
//!   lays text out left to right only, so their order on screen would be
//!   ambiguous;
//! - invisible characters: format characters (Cf: zero-width space and
//!   joiners, soft hyphen, …), every `Default_Ignorable_Code_Point`
//!   (variation selectors, Hangul fillers, tag characters, …) and the blank
//!   Braille pattern U+2800;
//! - unassigned code points (Cn, noncharacters included) and private-use
//!   characters (Co);
//! - spaces other than U+0020 and the ideographic space U+3000 (no-break,
//!   thin, em and the like look the same as a space but are other bytes);
//! - enclosing combining marks (Me), a combining mark with no letter before
//!   it, and more than [`MAX_MARKS`] marks on one letter.
//!
//! Kana, kanji, Latin, full-width and half-width forms and their digits,
//! and the usual punctuation stay allowed: mixed scripts are normal in
//! Japan. Look-alike letters of the Latin, Greek and Cyrillic alphabets
//! mixed in one field are allowed but flagged ([`mixes_look_alike_scripts`]):
//! the app shows a warning next to such a field.
//!
//! An amount is `0` or a whole number of up to 15 digits without a leading
//! zero, optionally followed by `.` and as many decimals as the currency
//! has minor units at most ([`minor_units`]: none for JPY, three for BHD,
//! two otherwise). A currency is three capital ASCII letters (ISO 4217).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{
    BidiClass, BidiControl, DefaultIgnorableCodePoint, GeneralCategory, Script, WhiteSpace,
};
use icu_properties::{CodePointMapData, CodePointSetData};

/// Longest payee, account and reference, in characters.
pub const MAX_TEXT_CHARS: usize = 64;
/// Most combining marks on one letter.
pub const MAX_MARKS: usize = 3;
/// Longest whole part of an amount, in digits.
pub const MAX_AMOUNT_DIGITS: usize = 15;

/// A field of a transaction that the bank sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Who receives the money.
    Payee,
    /// The payee's account.
    Account,
    /// The amount.
    Amount,
    /// The currency.
    Currency,
    /// The bank's reference.
    Reference,
}

impl Field {
    /// The field's name in the JSON messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Payee => "payee",
            Self::Account => "account",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::Reference => "reference",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind of character that transaction text may not contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharClass {
    /// A control character (Cc).
    Control,
    /// A bidirectional control (`Bidi_Control`).
    BidiControl,
    /// A right-to-left letter or digit (`Bidi_Class` R, AL or AN).
    RightToLeft,
    /// A format character (Cf), a default-ignorable code point, or a blank
    /// that draws nothing.
    Invisible,
    /// A code point with no character assigned (Cn), noncharacters included.
    Unassigned,
    /// A private-use character (Co).
    PrivateUse,
    /// A line or paragraph separator (Zl, Zp).
    LineBreak,
    /// A space other than U+0020 and U+3000.
    OtherSpace,
    /// A combining mark with no letter before it.
    LoneMark,
    /// An enclosing combining mark (Me).
    EnclosingMark,
    /// More than [`MAX_MARKS`] combining marks on one letter.
    StackedMarks,
}

impl CharClass {
    /// How the class is named in error details.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Control => "control character",
            Self::BidiControl => "bidirectional control",
            Self::RightToLeft => "right-to-left character",
            Self::Invisible => "invisible character",
            Self::Unassigned => "unassigned code point",
            Self::PrivateUse => "private-use character",
            Self::LineBreak => "line or paragraph separator",
            Self::OtherSpace => "space other than U+0020 or U+3000",
            Self::LoneMark => "combining mark without a letter before it",
            Self::EnclosingMark => "enclosing combining mark",
            Self::StackedMarks => "combining mark beyond three on one letter",
        }
    }
}

/// Why a transaction field breaks the rule. The text never contains the
/// offending character itself, only its code point, so it is safe to log
/// and to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// Empty, or only spaces.
    #[error("{field}: must not be empty")]
    Empty {
        /// The field.
        field: Field,
    },
    /// Longer than the field's limit.
    #[error("{field}: {chars} characters, at most {max} are allowed")]
    TooLong {
        /// The field.
        field: Field,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Starts or ends with a space.
    #[error("{field}: must not start or end with a space")]
    Padded {
        /// The field.
        field: Field,
    },
    /// A character of a refused class.
    #[error("{field}: {} U+{:04X} at character {at} is not allowed", class.describe(), u32::from(*ch))]
    Character {
        /// The field.
        field: Field,
        /// What kind of character.
        class: CharClass,
        /// The character.
        ch: char,
        /// Its position, counting characters from 1.
        at: usize,
    },
    /// Not in Normalization Form C.
    #[error("{field}: must be in Unicode Normalization Form C (normalize it before sending)")]
    NotNfc {
        /// The field.
        field: Field,
    },
    /// Not an amount by the grammar.
    #[error(
        "amount: must be a decimal number such as 150000 or 12.50 (no sign, no leading zero, up to 15 digits)"
    )]
    Amount,
    /// More decimals than the currency has.
    #[error("amount: {currency} takes at most {max} decimals")]
    Decimals {
        /// The currency, as three ASCII capitals.
        currency: Currency,
        /// Its minor units.
        max: usize,
    },
    /// Not three capital ASCII letters.
    #[error("currency: must be a three-letter ISO 4217 code such as JPY")]
    Currency,
}

impl FieldError {
    /// The field the error is about.
    pub const fn field(&self) -> Field {
        match self {
            Self::Empty { field }
            | Self::TooLong { field, .. }
            | Self::Padded { field }
            | Self::Character { field, .. }
            | Self::NotNfc { field } => *field,
            Self::Amount | Self::Decimals { .. } => Field::Amount,
            Self::Currency => Field::Currency,
        }
    }
}

/// A checked currency code, three capital ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The code, if `s` is three capital ASCII letters.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(FieldError::Currency),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Three ASCII capitals, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ISO 4217 currencies without minor units.
const NO_DECIMALS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
/// ISO 4217 currencies with three decimals.
const THREE_DECIMALS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// How many decimals an amount in `currency` may have: 0 for the ISO 4217
/// currencies without minor units (JPY, KRW, …), 3 for those with three
/// (BHD, KWD, …), 2 for every other code.
pub fn minor_units(currency: Currency) -> usize {
    let c = currency.as_str();
    if NO_DECIMALS.contains(&c) {
        0
    } else if THREE_DECIMALS.contains(&c) {
        3
    } else {
        2
    }
}

/// Checks a currency code.
pub fn check_currency(currency: &str) -> Result<Currency, FieldError> {
    Currency::parse(currency)
}

/// Checks an amount in a checked currency.
pub fn check_amount(amount: &str, currency: Currency) -> Result<(), FieldError> {
    let (whole, frac) = match amount.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (amount, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole)
        || whole.len() > MAX_AMOUNT_DIGITS
        || (whole.len() > 1 && whole.starts_with('0'))
        || frac.is_some_and(|f| !digits(f))
    {
        return Err(FieldError::Amount);
    }
    let max = minor_units(currency);
    if frac.map_or(0, str::len) > max {
        return Err(FieldError::Decimals { currency, max });
    }
    Ok(())
}

/// Whether `c` is in a class that transaction text refuses wherever it
/// stands (every class but the ones about combining marks).
pub fn refused_class(c: char) -> Option<CharClass> {
    let gc = CodePointMapData::<GeneralCategory>::new().get(c);
    if gc == GeneralCategory::Control {
        return Some(CharClass::Control);
    }
    if CodePointSetData::new::<BidiControl>().contains(c) {
        return Some(CharClass::BidiControl);
    }
    if gc == GeneralCategory::Format
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        || c == '\u{2800}'
    {
        return Some(CharClass::Invisible);
    }
    match gc {
        GeneralCategory::Unassigned | GeneralCategory::Surrogate => {
            return Some(CharClass::Unassigned);
        }
        GeneralCategory::PrivateUse => return Some(CharClass::PrivateUse),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            return Some(CharClass::LineBreak);
        }
        _ => {}
    }
    if c != ' ' && c != '\u{3000}' && CodePointSetData::new::<WhiteSpace>().contains(c) {
        return Some(CharClass::OtherSpace);
    }
    let bidi = CodePointMapData::<BidiClass>::new().get(c);
    if matches!(
        bidi,
        BidiClass::RightToLeft | BidiClass::ArabicLetter | BidiClass::ArabicNumber
    ) {
        return Some(CharClass::RightToLeft);
    }
    None
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{3000}'
}

/// Checks one text field (payee, account or reference) by the rule above.
pub fn check_text(field: Field, s: &str) -> Result<(), FieldError> {
    if s.is_empty() {
        return Err(FieldError::Empty { field });
    }
    let chars = s.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(FieldError::TooLong {
            field,
            chars,
            max: MAX_TEXT_CHARS,
        });
    }
    let gc = CodePointMapData::<GeneralCategory>::new();
    let mut marks = 0;
    let mut base = false;
    for (i, ch) in s.chars().enumerate() {
        let refuse = |class| FieldError::Character {
            field,
            class,
            ch,
            at: i + 1,
        };
        if let Some(class) = refused_class(ch) {
            return Err(refuse(class));
        }
        match gc.get(ch) {
            GeneralCategory::EnclosingMark => return Err(refuse(CharClass::EnclosingMark)),
            GeneralCategory::NonspacingMark | GeneralCategory::SpacingMark => {
                if !base {
                    return Err(refuse(CharClass::LoneMark));
                }
                marks += 1;
                if marks > MAX_MARKS {
                    return Err(refuse(CharClass::StackedMarks));
                }
            }
            _ => {
                marks = 0;
                base = !is_space(ch);
            }
        }
    }
    if s.chars().all(is_space) {
        return Err(FieldError::Empty { field });
    }
    if s.starts_with(is_space) || s.ends_with(is_space) {
        return Err(FieldError::Padded { field });
    }
    if !ComposingNormalizerBorrowed::new_nfc().is_normalized(s) {
        return Err(FieldError::NotNfc { field });
    }
    Ok(())
}

/// Checks the fields a bank sets, in this order: payee, account, currency,
/// amount, reference. The first break of the rule is the error.
pub fn check_fields(
    payee: &str,
    account: &str,
    amount: &str,
    currency: &str,
    reference: &str,
) -> Result<(), FieldError> {
    check_text(Field::Payee, payee)?;
    check_text(Field::Account, account)?;
    let currency = check_currency(currency)?;
    check_amount(amount, currency)?;
    check_text(Field::Reference, reference)
}

/// Whether `s` mixes letters of two or more of the Latin, Greek and
/// Cyrillic alphabets, whose look-alike letters (Latin `a`, Cyrillic `а`)
/// can make one name pass for another. Allowed, but the app warns.
pub fn mixes_look_alike_scripts(s: &str) -> bool {
    let script = CodePointMapData::<Script>::new();
    let (mut latin, mut greek, mut cyrillic) = (false, false, false);
    for c in s.chars() {
        match script.get(c) {
            Script::Latin => latin = true,
            Script::Greek => greek = true,
            Script::Cyrillic => cyrillic = true,
            _ => {}
        }
    }
    u8::from(latin) + u8::from(greek) + u8::from(cyrillic) > 1
}

/// `s` for a terminal: every character the rule refuses anywhere, and the
/// backslash, written as `\u{…}` (`\\` for the backslash), so that stored
/// text cannot move the cursor, forge lines or hide itself.
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || refused_class(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if refused_class(c).is_some() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:04x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(s: &str) -> Option<CharClass> {
        match check_text(Field::Payee, s) {
            Err(FieldError::Character { class, .. }) => Some(class),
            _ => None,
        }
    }

    #[test]
    fn japanese_and_latin_text_passes() {
        for s in [
            "ヤマダ タロウ",
            "山田　太郎",
            "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ",
            "株式会社ＡＢＣ商事",
            "Demo Bank Shibuya 001 1234567",
            "１２３４５６７",
            "Café Müller & Söhne",
            "髙橋 﨑",
            "Invoice #2026-1125 (12月分)",
            "Иванов Иван",
            "Ελληνική Τράπεζα",
            "김철수",
            "e\u{301}x\u{301}",
        ] {
            let nfc: String = ComposingNormalizerBorrowed::new_nfc().normalize(s).into();
            assert_eq!(check_text(Field::Payee, &nfc), Ok(()), "{s}");
        }
    }

    #[test]
    fn the_reported_payee_is_refused_at_the_override() {
        let e = check_text(Field::Payee, "Yamada \u{202e}evil\u{202c} Taro\u{200b}").unwrap_err();
        assert_eq!(
            e,
            FieldError::Character {
                field: Field::Payee,
                class: CharClass::BidiControl,
                ch: '\u{202e}',
                at: 8
            }
        );
        let text = e.to_string();
        assert_eq!(
            text,
            "payee: bidirectional control U+202E at character 8 is not allowed"
        );
        assert!(!text.contains('\u{202e}'));
    }

    #[test]
    fn every_class_is_refused() {
        let cases: &[(&str, CharClass)] = &[
            ("a\u{7}b", CharClass::Control),
            ("a\u{85}b", CharClass::Control),
            ("a\nb", CharClass::Control),
            ("a\u{200e}b", CharClass::BidiControl),
            ("a\u{200f}b", CharClass::BidiControl),
            ("a\u{061c}b", CharClass::BidiControl),
            ("a\u{2066}b", CharClass::BidiControl),
            ("a\u{2069}b", CharClass::BidiControl),
            ("a\u{202a}b", CharClass::BidiControl),
            ("a\u{200b}b", CharClass::Invisible),
            ("a\u{200c}b", CharClass::Invisible),
            ("a\u{200d}b", CharClass::Invisible),
            ("a\u{2060}b", CharClass::Invisible),
            ("a\u{feff}b", CharClass::Invisible),
            ("a\u{ad}b", CharClass::Invisible),
            ("a\u{180e}b", CharClass::Invisible),
            ("a\u{fe0f}b", CharClass::Invisible),
            ("a\u{e0041}b", CharClass::Invisible),
            ("a\u{3164}b", CharClass::Invisible),
            ("a\u{115f}b", CharClass::Invisible),
            ("a\u{2800}b", CharClass::Invisible),
            ("a\u{0378}b", CharClass::Unassigned),
            ("a\u{fdd0}b", CharClass::Unassigned),
            ("a\u{ffff}b", CharClass::Unassigned),
            ("a\u{e000}b", CharClass::PrivateUse),
            ("a\u{f0000}b", CharClass::PrivateUse),
            ("a\u{2028}b", CharClass::LineBreak),
            ("a\u{2029}b", CharClass::LineBreak),
            ("a\u{a0}b", CharClass::OtherSpace),
            ("a\u{2009}b", CharClass::OtherSpace),
            ("a\u{205f}b", CharClass::OtherSpace),
            ("a\u{1680}b", CharClass::OtherSpace),
            ("a\u{05d0}b", CharClass::RightToLeft),
            ("a\u{0627}b", CharClass::RightToLeft),
            ("a\u{0661}b", CharClass::RightToLeft),
            ("\u{301}a", CharClass::LoneMark),
            ("a \u{301}", CharClass::LoneMark),
            ("a\u{20dd}", CharClass::EnclosingMark),
            ("x\u{300}\u{301}\u{302}\u{303}", CharClass::StackedMarks),
        ];
        for (s, class) in cases {
            assert_eq!(class_of(s), Some(*class), "{s:?}");
        }
        assert_eq!(class_of("x\u{300}\u{301}\u{302}"), None);
    }

    #[test]
    fn shape_rules() {
        let p = Field::Payee;
        assert_eq!(check_text(p, ""), Err(FieldError::Empty { field: p }));
        assert_eq!(check_text(p, "  "), Err(FieldError::Empty { field: p }));
        assert_eq!(
            check_text(p, "\u{3000}"),
            Err(FieldError::Empty { field: p })
        );
        assert_eq!(check_text(p, " a"), Err(FieldError::Padded { field: p }));
        assert_eq!(
            check_text(p, "a\u{3000}"),
            Err(FieldError::Padded { field: p })
        );
        assert_eq!(check_text(p, &"x".repeat(64)), Ok(()));
        assert_eq!(check_text(p, &"振".repeat(64)), Ok(()));
        assert_eq!(
            check_text(p, &"x".repeat(65)),
            Err(FieldError::TooLong {
                field: p,
                chars: 65,
                max: 64
            })
        );
        // "é" as e + combining acute is not NFC; "が" as か + dakuten neither.
        assert_eq!(
            check_text(p, "Cafe\u{301}"),
            Err(FieldError::NotNfc { field: p })
        );
        assert_eq!(
            check_text(p, "か\u{3099}"),
            Err(FieldError::NotNfc { field: p })
        );
        assert_eq!(check_text(p, "Café"), Ok(()));
    }

    #[test]
    fn amounts_follow_the_grammar_and_the_currency() {
        let jpy = check_currency("JPY").unwrap();
        let usd = check_currency("USD").unwrap();
        let bhd = check_currency("BHD").unwrap();
        for ok in ["0", "1", "150000", "999999999999999"] {
            assert_eq!(check_amount(ok, jpy), Ok(()), "{ok}");
        }
        for ok in ["0.5", "12.50", "1"] {
            assert_eq!(check_amount(ok, usd), Ok(()), "{ok}");
        }
        assert_eq!(check_amount("1.125", bhd), Ok(()));
        assert_eq!(
            check_amount("2500.50", jpy),
            Err(FieldError::Decimals {
                currency: jpy,
                max: 0
            })
        );
        assert_eq!(
            check_amount("1.234", usd),
            Err(FieldError::Decimals {
                currency: usd,
                max: 2
            })
        );
        for bad in [
            "",
            "-1",
            "+1",
            "1e5",
            "01",
            "1.",
            ".5",
            "1,000",
            "1 000",
            "１",
            "1234567890123456",
        ] {
            assert_eq!(check_amount(bad, usd), Err(FieldError::Amount), "{bad}");
        }
        for bad in ["jpy", "JP", "JPYY", "YEN!", "ＪＰＹ", ""] {
            assert_eq!(check_currency(bad), Err(FieldError::Currency), "{bad}");
        }
        assert_eq!(
            FieldError::Decimals {
                currency: jpy,
                max: 0
            }
            .to_string(),
            "amount: JPY takes at most 0 decimals"
        );
    }

    #[test]
    fn fields_are_checked_in_order_and_name_the_field() {
        assert_eq!(
            check_fields("a", "b\u{200b}", "x", "jpy", "c\u{202e}")
                .unwrap_err()
                .field(),
            Field::Account
        );
        assert_eq!(
            check_fields("a", "b", "x", "jpy", "c").unwrap_err().field(),
            Field::Currency
        );
        assert_eq!(
            check_fields("a", "b", "x", "JPY", "c").unwrap_err().field(),
            Field::Amount
        );
        assert_eq!(
            check_fields("a", "b", "1", "JPY", "c\u{202e}")
                .unwrap_err()
                .field(),
            Field::Reference
        );
    }

    #[test]
    fn look_alike_scripts_are_flagged() {
        assert!(mixes_look_alike_scripts("Pаypal")); // Cyrillic а
        assert!(mixes_look_alike_scripts("Αlpha")); // Greek Alpha
        assert!(!mixes_look_alike_scripts("Paypal"));
        assert!(!mixes_look_alike_scripts("Иванов Иван"));
        assert!(!mixes_look_alike_scripts("ヤマダ Taro 株式会社 ＡＢＣ"));
    }

    #[test]
    fn terminal_escaping() {
        assert_eq!(escape_for_terminal("ヤマダ タロウ"), "ヤマダ タロウ");
        assert_eq!(
            escape_for_terminal("a\u{1b}[2Jb\nc\u{202e}d\\"),
            "a\\u{001b}[2Jb\\u{000a}c\\u{202e}d\\\\"
        );
    }
}
