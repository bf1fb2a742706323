//! Config files and where the database lives: one test per bad config, asserting the message.

use crate::common::{Env, SAMPLE};

#[track_caller]
fn bad_config(contents: &str) -> String {
    let env = Env::new();
    let cfg = env.write("config.toml", contents);
    let r = env.run(&["--config", cfg.to_str().unwrap(), "accounts"]);
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(
        !env.db().exists(),
        "a bad config must not create the database"
    );
    r.stderr
}

#[test]
fn an_unknown_key_names_the_key_and_line() {
    let e = bad_config("[general]\ndefault_currency = \"EUR\"\n\n[ledger]\nlot_methd = \"hifo\"\n");
    assert!(e.contains("config.toml: line 5 (`lot_methd = \"hifo\"`): unknown field `lot_methd`, expected `lot_method`"), "{e}");
}

#[test]
fn a_wrong_type_names_the_key_and_line() {
    let e = bad_config("[general]\ndefault_currency = 978\n");
    assert!(
        e.contains(
            "line 2 (`default_currency = 978`): invalid type: integer `978`, expected a string"
        ),
        "{e}"
    );
}

#[test]
fn a_bad_value_says_what_is_allowed() {
    let e = bad_config("[general]\ndefault_currency = \"dollars\"\n");
    assert!(
        e.contains("general.default_currency: 'dollars' is not a currency code"),
        "{e}"
    );
    let e = bad_config("[log]\nlevel = \"loud\"\n");
    assert!(e.contains("log.level: 'loud' is not a log level"), "{e}");
}

#[test]
fn a_named_config_must_exist_but_the_default_may_be_missing() {
    let env = Env::new();
    let r = env.run(&["--config", "/nonexistent/folio.toml", "accounts"]);
    r.refused("the config file /nonexistent/folio.toml does not exist; check the path given to --config or FOLIO_CONFIG");
    env.run(&["accounts", "set", "Brokerage"]).ok();
}

#[test]
fn config_sets_defaults_for_imports() {
    let env = Env::new();
    let cfg = env.write(
        "config.toml",
        "[general]\ndefault_currency = \"EUR\"\n[ledger]\nlot_method = \"lifo\"\n",
    );
    let csv = env.write("s.csv", SAMPLE);
    env.run(&[
        "--config",
        cfg.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
    ])
    .ok();
    let a = env.run(&["accounts", "--json"]).json();
    assert_eq!(a["accounts"][0]["lot_method"], "lifo");
    let c = env.run(&["cash", "--account", "Roth", "--json"]).json();
    assert_eq!(c["balances"][0]["currency"], "EUR");
}

#[test]
fn the_database_location_follows_flag_env_config_default() {
    let env = Env::new();
    // Default: the data dir.
    env.command()
        .args(["accounts", "set", "Brokerage"])
        .output()
        .unwrap();
    assert!(env.path("data/folio/folio.db").exists());
    // Config file in the config dir.
    std::fs::create_dir_all(env.path("config/folio")).unwrap();
    let from_config = env.path("from-config.db");
    std::fs::write(
        env.path("config/folio/config.toml"),
        format!("[database]\npath = {:?}\n", from_config),
    )
    .unwrap();
    env.command()
        .args(["accounts", "set", "Brokerage"])
        .output()
        .unwrap();
    assert!(from_config.exists());
    // The environment variable beats the config; the flag beats both.
    let from_env = env.path("from-env.db");
    env.command()
        .env("FOLIO_DB", &from_env)
        .args(["accounts", "set", "Brokerage"])
        .output()
        .unwrap();
    assert!(from_env.exists());
    let from_flag = env.path("from-flag.db");
    env.command()
        .env("FOLIO_DB", &from_env)
        .arg("--db")
        .arg(&from_flag)
        .args(["accounts", "set", "Brokerage"])
        .output()
        .unwrap();
    assert!(from_flag.exists());
}

#[test]
fn logs_go_to_the_data_dir_not_the_terminal() {
    let env = Env::new();
    let r = env.import("s.csv", SAMPLE, &[]);
    r.ok();
    assert!(!r.stderr.contains("INFO"), "{}", r.stderr);
    let log = std::fs::read_to_string(env.path("data/folio/folio.log")).unwrap();
    assert!(log.contains("import") && log.contains("added=9"), "{log}");
}

#[test]
fn currency_is_normalised_and_an_empty_database_path_means_the_default() {
    let env = Env::new();
    let cfg = env.write(
        "config.toml",
        "[general]\ndefault_currency = \"eur\"\n[database]\npath = \"\"\n",
    );
    let csv = env.write(
        "s.csv",
        "date,account,action,amount\n2024-01-02,A,DEPOSIT,5\n",
    );
    env.command()
        .arg("--config")
        .arg(&cfg)
        .args(["import", csv.to_str().unwrap()])
        .output()
        .map(crate::common::Run::from)
        .unwrap()
        .ok();
    assert!(env.path("data/folio/folio.db").exists());
    let out = env
        .command()
        .arg("--config")
        .arg(&cfg)
        .args(["cash", "--json"])
        .output()
        .map(crate::common::Run::from)
        .unwrap()
        .json();
    assert_eq!(out["balances"][0]["currency"], "EUR");
}

#[test]
fn tax_settings_out_of_range_are_refused() {
    let e = bad_config("[tax]\nshort_term_rate = 32\n");
    assert!(
        e.contains("tax.short_term_rate: 32 is not a tax rate"),
        "{e}"
    );
    let e = bad_config("[tax]\ncarryforward_long = -500\n");
    assert!(e.contains("tax.carryforward_long"), "{e}");
}

#[test]
fn securities_toml_beside_the_config_extends_the_groups_and_a_bad_one_is_named() {
    let env = Env::new();
    let csv = "date,account,action,symbol,quantity,price\n\
               2025-01-02,A,BUY,FZROX,10,20\n\
               2025-02-03,A,SELL,FZROX,10,15\n";
    env.import("t.csv", csv, &[]).ok();
    let cfg = env.write("config.toml", "");
    let buy = |env: &Env| {
        env.run(&[
            "--config",
            cfg.to_str().unwrap(),
            "tax",
            "preview",
            "buy",
            "VTI",
            "10",
            "--date",
            "2025-02-10",
            "--price",
            "250",
            "--json",
        ])
    };
    // Bundled: FZROX is unknown, so VTI is not substantially identical to it.
    assert_eq!(buy(&env).json()["washes"], serde_json::json!([]));
    // The user says FZROX tracks VTI's index: the purchase now washes the loss.
    env.write(
        "securities.toml",
        "FZROX = { name = \"Fidelity ZERO Total Market\", class = \"US stocks\", index = \"CRSP US Total Market\" }\n",
    );
    let v = buy(&env).json();
    assert_eq!(crate::common::dec(&v, "wash_sale_disallowed"), "50");
    // A mistake in the file stops folio with the file and line.
    env.write(
        "securities.toml",
        "FZROX = { name = \"x\", clas = \"US stocks\" }\n",
    );
    let r = buy(&env);
    r.refused("securities.toml: line 1");
    assert!(r.stderr.contains("unknown field `clas`"), "{}", r.stderr);
}
