//! The README's examples on the demo are what the demo prints: every `$ folio --demo ...`
//! command in a code block is run (on the day the examples were made, `--today 2026-11-23`),
//! and its output must match the lines shown. A line `...` stands for any lines.

use crate::common::{Env, Run};

/// The day the README's demo examples are made on (the demo's last close is 2026-11-20).
const TODAY: &str = "2026-11-23";

/// (line number, command words, expected output lines) of every demo example.
fn examples(readme: &str) -> Vec<(usize, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut current: Option<(usize, Vec<String>, Vec<String>)> = None;
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            if in_block && let Some(c) = current.take() {
                out.push(c);
            }
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            if let Some(c) = current.take() {
                out.push(c);
            }
            if let Some(rest) = cmd.strip_prefix("folio --demo ")
                && !cmd.contains("--json")
            {
                let words = rest.split_whitespace().map(String::from).collect();
                current = Some((i + 1, words, Vec::new()));
            }
            continue;
        }
        if let Some(c) = current.as_mut()
            && !line.is_empty()
        {
            c.2.push(line.trim_end().to_string());
        }
    }
    out
}

/// Whether `actual` shows `expected`: its parts between `...` lines in order, each as
/// consecutive lines; the first at the top and the last at the bottom unless `...` is there.
fn shows(expected: &[String], actual: &[String]) -> Result<(), String> {
    let parts: Vec<&[String]> = expected.split(|l| l.trim() == "...").collect();
    let mut at = 0;
    for (k, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        let first = k == 0;
        let found = (at..=actual.len().saturating_sub(part.len()))
            .find(|&i| actual[i..i + part.len()] == **part)
            .filter(|&i| !first || i == 0);
        match found {
            Some(i) => at = i + part.len(),
            None => {
                return Err(format!(
                    "these lines are not in the output:\n{}",
                    part.join("\n")
                ));
            }
        }
    }
    if parts.last().is_some_and(|p| !p.is_empty()) && at != actual.len() {
        return Err(format!(
            "the output goes on after the lines shown:\n{}",
            actual[at..].join("\n")
        ));
    }
    Ok(())
}

#[test]
fn the_readme_shows_what_the_demo_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 10, "{} demo examples", examples.len());
    let env = Env::new();
    let mut wrong = Vec::new();
    for (line, words, expected) in &examples {
        let r: Run = env
            .command()
            .args(["--demo", "--today", TODAY])
            .args(words)
            .output()
            .unwrap()
            .into();
        let actual: Vec<String> = r
            .stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.trim_end().to_string())
            .collect();
        if let Err(why) = shows(expected, &actual) {
            wrong.push(format!(
                "README.md:{line}: $ folio --demo {}\n{why}\n--- the demo prints:\n{}\n",
                words.join(" "),
                r.stdout
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn an_elided_example_matches_and_a_wrong_one_does_not() {
    let lines = |s: &str| -> Vec<String> { s.lines().map(String::from).collect() };
    let actual = lines("a\nb\nc\nd\ne");
    assert!(shows(&lines("a\nb\n...\ne"), &actual).is_ok());
    assert!(shows(&lines("a\n...\nd\n..."), &actual).is_ok());
    assert!(
        shows(&lines("a\nc\n..."), &actual).is_err(),
        "not consecutive"
    );
    assert!(shows(&lines("b\n..."), &actual).is_err(), "not at the top");
    assert!(shows(&lines("a\nb"), &actual).is_err(), "more follows");
}
