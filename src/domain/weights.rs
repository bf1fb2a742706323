//! Lists of names with numbers, as users type them: `"US stocks=50, US bonds=25"` for targets
//! (`folio targets set`) and shocks (`folio stress --shock`). Pure.

use rust_decimal::Decimal;

/// `name=number` pairs in the order given. Names are trimmed and keep their case; numbers may
/// carry a trailing `%` and a sign. The error names the piece and what to write instead.
pub fn parse_pairs(text: &str) -> Result<Vec<(String, Decimal)>, String> {
    let mut out: Vec<(String, Decimal)> = Vec::new();
    for piece in text.split(',') {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        let Some((name, number)) = piece.split_once('=') else {
            return Err(format!(
                "\"{piece}\": write NAME=NUMBER pairs separated by commas, for example \"US stocks=60,US bonds=40\""
            ));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("\"{piece}\": the name before '=' is empty"));
        }
        let number = number.trim();
        let digits = number.strip_suffix('%').unwrap_or(number).trim();
        let value: Decimal = digits.parse().map_err(|_| {
            format!("\"{piece}\": {number:?} is not a number (write it as 50 or 12.5)")
        })?;
        if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(format!("\"{name}\" is given twice; give each name once"));
        }
        out.push((name.to_string(), value));
    }
    if out.is_empty() {
        return Err(
            "nothing given: write NAME=NUMBER pairs separated by commas, for example \"US stocks=60,US bonds=40\"".into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn pairs_keep_order_and_read_percent_signs() {
        let p = parse_pairs(" US stocks=50, International stocks = 20% ,US bonds=-5.5").unwrap();
        assert_eq!(
            p,
            vec![
                ("US stocks".to_string(), dec!(50)),
                ("International stocks".to_string(), dec!(20)),
                ("US bonds".to_string(), dec!(-5.5)),
            ]
        );
    }

    #[test]
    fn bad_pieces_are_named() {
        assert!(parse_pairs("VTI").unwrap_err().contains("\"VTI\""));
        assert!(parse_pairs("VTI=abc").unwrap_err().contains("not a number"));
        assert!(parse_pairs("=5").unwrap_err().contains("empty"));
        assert!(parse_pairs("VTI=5,vti=6").unwrap_err().contains("twice"));
        assert!(parse_pairs(" , ").unwrap_err().contains("nothing given"));
    }
}
