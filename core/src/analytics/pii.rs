//! Does this text look like personal data? The check the widget runs before an analytics field
//! leaves the page, and the server runs again before anything is stored (reference text 000:
//! "personal data, like email addresses or full IP addresses … will be immediately and
//! irrevocably deleted").
//!
//! Hand-written rather than a regex set: the `regex` crate alone would about double the
//! analytics WASM, and three of the four checks need arithmetic a pattern cannot express (a
//! card's Luhn digit, an IPv6 address's prefix length, the digit count of a phone number written
//! with any grouping). Each check errs towards refusing: a false positive loses one analytics
//! event; a false negative would store someone's phone number. The table in this module's tests
//! lists what is refused and what passes, false positives included (`core/tests/pii_table.rs`, run
//! natively and in headless Chromium).
//!
//! What counts:
//! - **email**: `local@domain.tld` (letters of any script; a dotted domain whose last label has
//!   at least two letters);
//! - **payment card**: 13–19 digits, optionally grouped by single spaces or hyphens, whose Luhn
//!   check digit is right;
//! - **phone**: 10–15 digits in one run, optionally grouped by single spaces, hyphens, dots or
//!   parentheses (8–15 after a leading `+`), standing as a word of its own;
//! - **IP address**: a full IPv4 or IPv6 address. A truncated one (IPv4 with the last octet zero,
//!   IPv6 with nothing after the first 48 bits) is a network, not a household, and passes.
//!
//! Text is checked as given and again percent-decoded (`%40` is `@`), so an address hidden in a
//! URL-encoded search term is found too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The kind of personal data a field looks like. (The value itself is never kept or logged.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// An email address.
    Email,
    /// A payment card number.
    PaymentCard,
    /// A telephone number.
    Phone,
    /// A full IPv4 or IPv6 address.
    IpAddress,
}

impl PiiKind {
    /// Every kind, for metrics that list all of them.
    pub const ALL: [PiiKind; 4] = [
        PiiKind::Email,
        PiiKind::PaymentCard,
        PiiKind::Phone,
        PiiKind::IpAddress,
    ];

    /// A stable lowercase code (metric labels, error codes).
    pub fn code(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::PaymentCard => "payment_card",
            PiiKind::Phone => "phone",
            PiiKind::IpAddress => "ip_address",
        }
    }
}

/// The first kind of personal data `text` appears to contain, if any.
pub fn find_pii(text: &str) -> Option<PiiKind> {
    find_in(text).or_else(|| {
        let decoded = percent_decode(text)?;
        find_in(&decoded)
    })
}

/// [`find_pii`] for a product identifier: a value that is entirely a valid GTIN (EAN-8, UPC-A,
/// EAN-13, GTIN-14, check digit right) is a catalogue number, not a phone or card number. Every
/// other check still applies.
pub fn find_pii_in_product(product: &str) -> Option<PiiKind> {
    if is_gtin(product) {
        return None;
    }
    find_pii(product)
}

fn find_in(text: &str) -> Option<PiiKind> {
    if looks_like_email(text) {
        return Some(PiiKind::Email);
    }
    let chars: Vec<char> = text.chars().collect();
    if let Some(kind) = find_digit_run(&chars) {
        return Some(kind);
    }
    if has_full_ipv4(&chars) || has_full_ipv6(&chars) {
        return Some(PiiKind::IpAddress);
    }
    None
}

// ---- email ----

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '.'
}

fn looks_like_email(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let local = chars[..at]
            .iter()
            .rev()
            .take_while(|c| is_local_char(**c))
            .count();
        if local == 0 {
            continue;
        }
        let domain: String = chars[at + 1..]
            .iter()
            .take_while(|c| is_domain_char(**c))
            .collect();
        let domain = domain.trim_end_matches(['.', '-']);
        let labels: Vec<&str> = domain.split('.').collect();
        let Some(tld) = labels.last() else { continue };
        if labels.len() >= 2
            && labels.iter().all(|label| !label.is_empty())
            && tld.chars().count() >= 2
            && tld.chars().all(char::is_alphabetic)
        {
            return true;
        }
    }
    false
}

// ---- phone numbers and payment cards: runs of digits with light grouping ----

/// Separators a phone or card number may be grouped with.
fn is_group_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')
}

fn find_digit_run(chars: &[char]) -> Option<PiiKind> {
    let mut found = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts = c.is_ascii_digit() || c == '+' || c == '(';
        let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if !(starts && at_word_start) {
            i += 1;
            continue;
        }
        let run = digit_run_at(chars, i);
        // A run glued to letters ("1234567890AB") is a code, not a number.
        let at_word_end = chars.get(run.end).is_none_or(|c| !c.is_alphanumeric());
        if at_word_end
            && let Some(kind) =
                classify_run(&chars[i..run.end], run.digits, run.plus, run.card_shaped)
        {
            // A card is the more specific finding; keep looking for one after a phone.
            if kind == PiiKind::PaymentCard {
                return Some(kind);
            }
            found = found.or(Some(kind));
        }
        i = run.end.max(i + 1);
    }
    found
}

struct DigitRun {
    end: usize,
    digits: usize,
    plus: bool,
    /// Grouped only by single spaces or hyphens (how card numbers are written).
    card_shaped: bool,
}

/// The longest stretch from `start` of digits and single grouping characters (a `+` only first).
fn digit_run_at(chars: &[char], start: usize) -> DigitRun {
    let plus = chars[start] == '+';
    let mut end = start + usize::from(plus);
    let mut digits = 0;
    let mut card_shaped = true;
    let mut separators_in_a_row = 0;
    let mut last_digit_end = end;
    while end < chars.len() {
        let c = chars[end];
        if c.is_ascii_digit() {
            digits += 1;
            separators_in_a_row = 0;
            end += 1;
            last_digit_end = end;
        } else if is_group_separator(c) && separators_in_a_row < 2 {
            // ") " and " (" are the only two-character groupings: "(020) 7946".
            separators_in_a_row += 1;
            if !matches!(c, ' ' | '-') {
                card_shaped = false;
            }
            end += 1;
        } else {
            break;
        }
    }
    DigitRun {
        end: last_digit_end,
        digits,
        plus,
        card_shaped,
    }
}

fn classify_run(run: &[char], digits: usize, plus: bool, card_shaped: bool) -> Option<PiiKind> {
    // Four dotted groups of 1–3 digits are an IPv4 address (checked as one later), not a phone.
    let text: String = run.iter().collect();
    let groups: Vec<&str> = text.split('.').collect();
    if groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if card_shaped && !plus && (13..=19).contains(&digits) && luhn_valid(run) {
        return Some(PiiKind::PaymentCard);
    }
    let phone_digits = if plus { 8..=15 } else { 10..=15 };
    if phone_digits.contains(&digits) {
        return Some(PiiKind::Phone);
    }
    None
}

fn luhn_valid(run: &[char]) -> bool {
    let digits: Vec<u32> = run.iter().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A GS1 identifier: 8, 12, 13 or 14 digits with a correct mod-10 check digit.
pub fn is_gtin(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !matches!(bytes.len(), 8 | 12 | 13 | 14) || !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u32> = bytes.iter().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    // From the right of the body: weights 3, 1, 3, 1, …
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { d * 3 } else { d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

// ---- IP addresses ----

fn has_full_ipv4(chars: &[char]) -> bool {
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let parts: Vec<&str> = run.split('.').collect();
        for window in parts.windows(4) {
            let octets: Option<Vec<u8>> = window
                .iter()
                .map(|p| {
                    if (1..=3).contains(&p.len()) {
                        p.parse::<u8>().ok()
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(octets) = octets {
                let ip = Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
                if !is_truncated(IpAddr::V4(ip)) {
                    return true;
                }
            }
        }
    }
    false
}

fn has_full_ipv6(chars: &[char]) -> bool {
    let mut i = 0;
    while i < chars.len() {
        let is_v6_char = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
        if !is_v6_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_v6_char(chars[i]) {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let token = token.trim_matches('.');
        if token.matches(':').count() >= 2
            && let Ok(ip) = token.parse::<Ipv6Addr>()
            && !is_truncated(IpAddr::V6(ip))
        {
            return true;
        }
    }
    false
}

/// Whether `ip` is already cut to its network: IPv4 `/24` or IPv6 `/48` (see
/// [`super::identifiers::truncate_address`]).
fn is_truncated(ip: IpAddr) -> bool {
    super::identifiers::truncate_address(ip) == ip.to_canonical()
}

// ---- percent-decoding ----

/// `text` with `%XX` escapes and `+` decoded, or `None` if it has neither. Invalid escapes stay
/// as they are; bytes that do not form UTF-8 are replaced.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') && !text.contains('+') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtins_are_catalogue_numbers_in_product_fields_only() {
        assert!(is_gtin("4006381333931"));
        assert!(is_gtin("96385074"));
        assert!(is_gtin("036000291452"));
        assert!(!is_gtin("4006381333932"));
        assert_eq!(find_pii_in_product("4006381333931"), None);
        assert_eq!(find_pii("4006381333931"), Some(PiiKind::Phone));
        // Thirteen digits with a wrong GTIN check digit are checked as any number is (this one
        // passes Luhn, so it is refused as a card).
        assert_eq!(
            find_pii_in_product("4006381333932"),
            Some(PiiKind::PaymentCard)
        );
        // Everything else is still checked in product fields.
        assert_eq!(
            find_pii_in_product("jane@example.com"),
            Some(PiiKind::Email)
        );
        assert_eq!(find_pii_in_product("OAK-PLANK-190"), None);
    }

    #[test]
    fn percent_decoding_leaves_bad_escapes() {
        assert_eq!(percent_decode("a%4"), Some("a%4".to_owned()));
        assert_eq!(percent_decode("a%zz%40"), Some("a%zz@".to_owned()));
        assert_eq!(percent_decode("%"), Some("%".to_owned()));
        assert_eq!(percent_decode("plain"), None);
    }
}
