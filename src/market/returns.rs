//! Yearly returns for the plan's history models: a file the user names, or Shiller's data
//! downloaded once from `[plan] history_url` and cached in the data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use crate::analytics::montecarlo::History;

/// Why there is no history.
#[derive(Debug, thiserror::Error)]
pub enum ReturnsError {
    /// The file the user named cannot be read or parsed: they can fix it.
    #[error("{0}")]
    File(String),
    /// The download or the cache failed.
    #[error("{0:#}")]
    Download(anyhow::Error),
}

/// Where a history came from, for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub history: History,
    pub source: String,
}

/// Reads a CSV of yearly returns (or Shiller's monthly layout).
pub fn from_file(path: &Path) -> Result<Loaded, ReturnsError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ReturnsError::File(format!(
            "cannot read the history file {}: {e}",
            path.display()
        ))
    })?;
    let history = History::parse(&text, &path.display().to_string())
        .map_err(|e| ReturnsError::File(e.to_string()))?;
    Ok(Loaded {
        history,
        source: path.display().to_string(),
    })
}

/// The cache file for `url` in `data_dir`.
pub fn cache_path(data_dir: &Path, url: &str) -> PathBuf {
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    data_dir.join(format!("yearly-returns-{hex}.csv"))
}

/// The cached history for `url`, downloaded first when there is none.
pub async fn cached_or_download(
    url: &str,
    data_dir: &Path,
    timeout: Duration,
) -> Result<Loaded, ReturnsError> {
    fetch(url, data_dir, timeout)
        .await
        .map_err(ReturnsError::Download)
}

async fn fetch(url: &str, data_dir: &Path, timeout: Duration) -> anyhow::Result<Loaded> {
    let cache = cache_path(data_dir, url);
    if let Ok(text) = std::fs::read_to_string(&cache)
        && let Ok(history) = History::parse(&text, &cache.display().to_string())
    {
        return Ok(Loaded {
            history,
            source: format!("{url} (cached in {})", cache.display()),
        });
    }
    let text = download(url, timeout).await.with_context(|| {
        format!(
            "cannot download US yearly returns from {url}; connect once (the data is then kept in {}), or give --history FILE with year,stocks,bonds,inflation",
            data_dir.display()
        )
    })?;
    let history = History::parse(&text, url).with_context(|| {
        format!("the data downloaded from {url} is not usable ([plan] history_url)")
    })?;
    save(&cache, &history)
        .with_context(|| format!("cannot cache the history in {}", cache.display()))?;
    tracing::info!(url, cache = %cache.display(), years = history.years.len(), "history downloaded");
    Ok(Loaded {
        history,
        source: format!("{url} (downloaded now, cached in {})", cache.display()),
    })
}

async fn download(url: &str, timeout: Duration) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()?;
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.text().await?)
}

/// Writes the yearly CSV through a temporary file and a rename: a cache is whole or absent.
fn save(path: &Path, history: &History) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut text = String::from("year,stocks_nominal,bonds_nominal,cpi_inflation\n");
    for y in &history.years {
        text.push_str(&format!(
            "{},{},{},{}\n",
            y.year, y.stocks, y.bonds, y.inflation
        ));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)?;
    Ok(())
}
