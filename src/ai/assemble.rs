//! Puts a streamed answer together from OpenAI-style deltas, tolerating what real servers send
//! (AI_CHAT.md §2.2): a whole call in one chunk (Ollama), the same `index` for parallel calls
//! (a new `id` at an occupied index is a new call), a first delta with no `id` (one is made
//! up), no `index` at all (the position is used), arguments before the name (SGLang), and
//! later fragments that carry neither id nor name.

use super::ToolCall;

#[derive(Debug, Default, Clone)]
struct Partial {
    index: Option<u64>,
    id: Option<String>,
    name: String,
    arguments: String,
}

/// The calls of one answer as their fragments arrive.
#[derive(Debug, Default)]
pub struct Calls {
    parts: Vec<Partial>,
}

impl Calls {
    /// One `tool_calls[]` entry of a delta: its `index`, `id`, `function.name` and
    /// `function.arguments` fragment, each possibly absent. `position` is the entry's place in
    /// its delta's array (used when the server sends no index).
    pub fn push(
        &mut self,
        index: Option<u64>,
        position: usize,
        id: Option<&str>,
        name: Option<&str>,
        arguments: Option<&str>,
    ) {
        let id = id.filter(|s| !s.is_empty());
        let slot = index.or(Some(position as u64));
        // The newest call at this index continues, unless this fragment names another id.
        let found = self.parts.iter().rposition(|p| p.index == slot);
        let continues = match (found, id) {
            (Some(i), Some(id)) => self.parts[i].id.as_deref().is_none_or(|own| own == id),
            (Some(_), None) => true,
            (None, _) => false,
        };
        // A fragment with a name at a call that already has a different, complete name and
        // whole arguments is a new call too (Ollama's index-0 reuse without ids).
        let continues = continues
            && match (found, name) {
                (Some(i), Some(n)) if !n.is_empty() => {
                    let p = &self.parts[i];
                    p.name.is_empty() || p.name == n && !complete(&p.arguments)
                }
                _ => true,
            };
        let i = match found {
            Some(i) if continues => i,
            _ => {
                self.parts.push(Partial {
                    index: slot,
                    ..Partial::default()
                });
                self.parts.len() - 1
            }
        };
        let p = &mut self.parts[i];
        if p.id.is_none() {
            p.id = id.map(str::to_string);
        }
        if let Some(n) = name.filter(|n| !n.is_empty())
            && p.name.is_empty()
        {
            p.name = n.to_string();
        }
        if let Some(a) = arguments {
            p.arguments.push_str(a);
        }
    }

    /// A call that arrives whole (Anthropic's and Ollama's native wires).
    pub fn whole(&mut self, id: Option<&str>, name: &str, arguments: String) {
        self.parts.push(Partial {
            index: None,
            id: id.filter(|s| !s.is_empty()).map(str::to_string),
            name: name.to_string(),
            arguments,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The calls, with ids made up where the server sent none (`call_1`, `call_2`...) and
    /// duplicates of an id renamed so each result finds its call.
    pub fn finish(self) -> Vec<ToolCall> {
        let mut out: Vec<ToolCall> = Vec::with_capacity(self.parts.len());
        for (n, p) in self.parts.into_iter().enumerate() {
            let mut id = p.id.unwrap_or_else(|| format!("call_{}", n + 1));
            if out.iter().any(|c| c.id == id) {
                id = format!("{id}_{}", n + 1);
            }
            out.push(ToolCall {
                id,
                name: p.name,
                arguments: p.arguments,
            });
        }
        out
    }
}

/// Whether a JSON text is a complete object (a whole call's arguments).
fn complete(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{') && serde_json::from_str::<serde_json::Value>(t).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: Calls) -> Vec<(String, String, String)> {
        c.finish()
            .into_iter()
            .map(|c| (c.id, c.name, c.arguments))
            .collect()
    }

    #[test]
    fn fragments_of_one_call_are_joined_by_index() {
        let mut c = Calls::default();
        c.push(Some(0), 0, Some("call_a"), Some("holdings"), Some(""));
        c.push(Some(0), 0, None, None, Some("{\"acco"));
        c.push(Some(0), 0, None, None, Some("unt\":\"IRA\"}"));
        assert_eq!(
            names(c),
            [(
                "call_a".into(),
                "holdings".into(),
                "{\"account\":\"IRA\"}".into()
            )]
        );
    }

    #[test]
    fn two_interleaved_calls_stay_apart() {
        let mut c = Calls::default();
        c.push(Some(0), 0, Some("a"), Some("cash"), Some(""));
        c.push(Some(1), 0, Some("b"), Some("lots"), Some(""));
        c.push(Some(1), 0, None, None, Some("{\"symbol\":\"VTI\"}"));
        c.push(Some(0), 0, None, None, Some("{}"));
        let got = names(c);
        assert_eq!(got[0], ("a".into(), "cash".into(), "{}".into()));
        assert_eq!(
            got[1],
            ("b".into(), "lots".into(), "{\"symbol\":\"VTI\"}".into())
        );
    }

    #[test]
    fn a_new_id_at_an_occupied_index_is_a_new_call() {
        // Ollama: every parallel call at index 0, each whole.
        let mut c = Calls::default();
        c.push(Some(0), 0, Some("x"), Some("cash"), Some("{}"));
        c.push(Some(0), 0, Some("y"), Some("holdings"), Some("{}"));
        let got = names(c);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].1.as_str(), got[1].1.as_str()), ("cash", "holdings"));
    }

    #[test]
    fn whole_calls_at_index_zero_without_ids_are_apart_and_get_ids() {
        let mut c = Calls::default();
        c.push(Some(0), 0, None, Some("cash"), Some("{}"));
        c.push(
            Some(0),
            0,
            None,
            Some("holdings"),
            Some("{\"account\":\"IRA\"}"),
        );
        let got = names(c);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "call_1");
        assert_eq!(got[1].0, "call_2");
    }

    #[test]
    fn no_index_uses_the_position_and_arguments_before_the_name_are_kept() {
        let mut c = Calls::default();
        c.push(None, 0, None, None, Some("{\"year\":"));
        c.push(None, 0, Some("r1"), Some("realized_gains"), Some("2026}"));
        let got = names(c);
        assert_eq!(
            got,
            [(
                "r1".into(),
                "realized_gains".into(),
                "{\"year\":2026}".into()
            )]
        );
    }
}
