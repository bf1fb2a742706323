//! Yearly returns for the history models: a CSV of `year,stocks,bonds,inflation` (or
//! `stocks_nominal,bonds_nominal,cpi_inflation`), or Shiller's monthly data (the datahub
//! `s-and-p-500` layout) turned into yearly returns the way ../shared/data/README.md describes:
//! a January-to-January total return with dividends reinvested monthly, CPI January to
//! January, and a 10-year constant-maturity bond priced from the January long rates.

use serde::Serialize;

/// One year's nominal returns as fractions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Year {
    pub year: i32,
    pub stocks: f64,
    pub bonds: f64,
    pub inflation: f64,
}

/// Consecutive years, oldest first, at least one.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct History {
    pub years: Vec<Year>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{source_name}: {message}")]
pub struct HistoryError {
    pub source_name: String,
    pub message: String,
}

impl History {
    pub fn first_year(&self) -> i32 {
        self.years[0].year
    }

    pub fn last_year(&self) -> i32 {
        self.years[self.years.len() - 1].year
    }

    /// Reads either layout; `source_name` (a file name or URL) goes into the errors.
    pub fn parse(text: &str, source_name: &str) -> Result<History, HistoryError> {
        let fail = |message: String| HistoryError {
            source_name: source_name.to_string(),
            message,
        };
        let header: Vec<String> = reader(text)
            .headers()
            .map_err(|e| fail(format!("the header cannot be read: {e}")))?
            .iter()
            .map(str::to_ascii_lowercase)
            .collect();
        if header.iter().any(|h| h == "sp500") {
            return monthly(text).map_err(fail);
        }
        yearly(text, &header).map_err(fail)
    }
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
}

fn column(header: &[String], names: &[&str]) -> Result<usize, String> {
    header
        .iter()
        .position(|h| names.contains(&h.as_str()))
        .ok_or_else(|| {
            format!(
                "no column '{}' in the header ({}); the file needs year,stocks,bonds,inflation (fractions, 0.07 = 7%)",
                names[0],
                header.join(",")
            )
        })
}

fn number(field: &str, line: u64, name: &str) -> Result<f64, String> {
    field
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            format!(
                "line {line}: '{field}' in column {name} is not a number (returns are fractions: 0.07 = 7%)"
            )
        })
}

fn yearly(text: &str, header: &[String]) -> Result<History, String> {
    let cols = [
        column(header, &["year"])?,
        column(header, &["stocks", "stocks_nominal"])?,
        column(header, &["bonds", "bonds_nominal"])?,
        column(header, &["inflation", "cpi_inflation"])?,
    ];
    let mut years: Vec<(Year, u64)> = Vec::new();
    for record in reader(text).records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let year = record[cols[0]]
            .parse::<i32>()
            .ok()
            .filter(|y| (1000..=9999).contains(y))
            .ok_or_else(|| format!("line {line}: '{}' is not a year", &record[cols[0]]))?;
        let stocks = number(&record[cols[1]], line, "stocks")?;
        let bonds = number(&record[cols[2]], line, "bonds")?;
        let inflation = number(&record[cols[3]], line, "inflation")?;
        for (name, v) in [
            ("stocks", stocks),
            ("bonds", bonds),
            ("inflation", inflation),
        ] {
            if v <= -1.0 || v > 10.0 {
                return Err(format!(
                    "line {line}: {name} return {v} is out of range; returns are fractions above -1 (0.07 = 7%, not 7)"
                ));
            }
        }
        years.push((
            Year {
                year,
                stocks,
                bonds,
                inflation,
            },
            line,
        ));
    }
    years.sort_by_key(|(y, _)| y.year);
    for w in years.windows(2) {
        let ((a, la), (b, lb)) = (w[0], w[1]);
        if b.year == a.year {
            return Err(format!(
                "year {} appears twice (lines {la} and {lb})",
                a.year
            ));
        }
        if b.year != a.year + 1 {
            let missing = if b.year == a.year + 2 {
                format!("year {} is missing", a.year + 1)
            } else {
                format!("years {}-{} are missing", a.year + 1, b.year - 1)
            };
            return Err(format!(
                "{missing} (between {} on line {la} and {} on line {lb}); the years must follow one another",
                a.year, b.year
            ));
        }
    }
    if years.is_empty() {
        return Err("no years in the file".into());
    }
    Ok(History {
        years: years.into_iter().map(|(y, _)| y).collect(),
    })
}

/// One month of Shiller's data.
struct Month {
    year: i32,
    month: u32,
    price: f64,
    dividend: f64,
    cpi: f64,
    long_rate: f64,
}

fn monthly(text: &str) -> Result<History, String> {
    let mut rdr = reader(text);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let cols = [
        column(&header, &["date"])?,
        column(&header, &["sp500"])?,
        column(&header, &["dividend"])?,
        column(&header, &["consumer price index"])?,
        column(&header, &["long interest rate"])?,
    ];
    let mut months: Vec<Month> = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line());
        let date = &record[cols[0]];
        let mut parts = date.split('-');
        let (Some(y), Some(m)) = (
            parts.next().and_then(|y| y.parse::<i32>().ok()),
            parts.next().and_then(|m| m.parse::<u32>().ok()),
        ) else {
            return Err(format!("line {line}: '{date}' is not a date (YYYY-MM-DD)"));
        };
        let [price, dividend, cpi, long_rate] =
            [1, 2, 3, 4].map(|i| record[cols[i]].parse::<f64>());
        let (Ok(price), Ok(dividend), Ok(cpi), Ok(long_rate)) = (price, dividend, cpi, long_rate)
        else {
            return Err(format!("line {line}: a value is not a number"));
        };
        // The source carries zeros after Shiller's part ends: the months stop at the first.
        if !(price > 0.0 && dividend > 0.0 && cpi > 0.0 && long_rate > 0.0) {
            break;
        }
        if let Some(prev) = months.last() {
            let expected = if prev.month == 12 {
                (prev.year + 1, 1)
            } else {
                (prev.year, prev.month + 1)
            };
            if (y, m) != expected {
                return Err(format!(
                    "line {line}: {date} does not follow {}-{:02}; the months must follow one another",
                    prev.year, prev.month
                ));
            }
        }
        months.push(Month {
            year: y,
            month: m,
            price,
            dividend,
            cpi,
            long_rate,
        });
    }
    // Total-return index: TR_k = TR_{k-1} (P_k + D_k / 12) / P_{k-1}.
    let mut tr = vec![1.0];
    for w in months.windows(2) {
        let last = tr[tr.len() - 1];
        tr.push(last * (w[1].price + w[1].dividend / 12.0) / w[0].price);
    }
    let januaries: Vec<usize> = (0..months.len())
        .filter(|&i| months[i].month == 1)
        .collect();
    let mut years = Vec::new();
    for w in januaries.windows(2) {
        let (i0, i1) = (w[0], w[1]);
        let (a, b) = (&months[i0], &months[i1]);
        let (y0, y1) = (a.long_rate / 100.0, b.long_rate / 100.0);
        let discount = (1.0 + y1).powi(-10);
        let price = y0 * (1.0 - discount) / y1 + discount;
        years.push(Year {
            year: a.year,
            stocks: tr[i1] / tr[i0] - 1.0,
            bonds: y0 + price - 1.0,
            inflation: b.cpi / a.cpi - 1.0,
        });
    }
    if years.is_empty() {
        return Err(
            "fewer than two Januaries of complete monthly data: no year can be built".into(),
        );
    }
    Ok(History { years })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_header_spellings() {
        let a = History::parse(
            "year,stocks,bonds,inflation\n2000,0.1,0.05,0.02\n2001,-0.1,0.04,0.03\n",
            "a",
        )
        .unwrap();
        let b = History::parse(
            "year,stocks_nominal,bonds_nominal,cpi_inflation\n2001,-0.1,0.04,0.03\n2000,0.1,0.05,0.02\n",
            "b",
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.years[1].stocks, -0.1);
        assert_eq!((a.first_year(), a.last_year()), (2000, 2001));
    }

    #[test]
    fn a_missing_year_and_a_bad_row_say_where() {
        let e = History::parse(
            "year,stocks,bonds,inflation\n2000,0.1,0.05,0.02\n2002,0.1,0.05,0.02\n",
            "f.csv",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.csv: year 2001 is missing (between 2000 on line 2 and 2002 on line 3); the years must follow one another"
        );
        let e = History::parse("year,stocks,bonds,inflation\n2000,abc,0.05,0.02\n", "f.csv")
            .unwrap_err();
        assert_eq!(
            e.message,
            "line 2: 'abc' in column stocks is not a number (returns are fractions: 0.07 = 7%)"
        );
        let e = History::parse("year,stocks,bonds,inflation\n2000,7,0.05\n", "f.csv").unwrap_err();
        assert!(e.message.starts_with("line 2:"), "{e}");
        let e = History::parse("year,stocks,bonds\n2000,0.07,0.05\n", "f.csv").unwrap_err();
        assert!(e.message.contains("no column 'inflation'"), "{e}");
        let e = History::parse(
            "year,stocks,bonds,inflation\n2000,-1.5,0.05,0.02\n",
            "f.csv",
        )
        .unwrap_err();
        assert!(e.message.contains("out of range"), "{e}");
    }

    #[test]
    fn a_quoted_header_is_read_like_any_other() {
        let h = History::parse(
            "\"year\",\"stocks\",\"bonds\",\"inflation\"\n2000,0.1,0.05,0.02\n",
            "q",
        )
        .unwrap();
        assert_eq!(h.years.len(), 1);
        let e =
            History::parse("\"year,stocks\",bonds,inflation\n2000,0.1,0.05\n", "q").unwrap_err();
        assert!(e.message.contains("no column"), "{e}");
        let e = History::parse("year,stocks,bonds,inflation\n2000,0.1,0.05\n", "q").unwrap_err();
        assert!(e.message.starts_with("line 2:"), "{e}");
    }

    #[test]
    fn monthly_data_becomes_january_to_january_years() {
        // Price 100 -> 110 over the year with a dividend rate of 12 (1 a month); CPI 10 -> 11;
        // long rate 5% both Januaries (the bond returns its coupon exactly).
        let mut text = String::from(
            "Date,SP500,Dividend,Earnings,Consumer Price Index,Long Interest Rate,Real Price,Real Dividend,Real Earnings,PE10\n",
        );
        for m in 1..=12 {
            text.push_str(&format!("2000-{m:02}-01,100,12,1,10,5,0,0,0,0\n"));
        }
        text.push_str("2001-01-01,110,12,1,11,5,0,0,0,0\n");
        text.push_str("2001-02-01,0,0,0,0,0,0,0,0,0\n");
        let h = History::parse(&text, "shiller").unwrap();
        assert_eq!(h.years.len(), 1);
        let y = h.years[0];
        assert_eq!(y.year, 2000);
        // 11 months at (100 + 1)/100, then (110 + 1)/100.
        let expected = 1.01f64.powi(11) * 1.11 - 1.0;
        assert!((y.stocks - expected).abs() < 1e-12, "{}", y.stocks);
        assert!((y.bonds - 0.05).abs() < 1e-12, "{}", y.bonds);
        assert!((y.inflation - 0.1).abs() < 1e-12);
    }
}
