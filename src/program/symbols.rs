//! The names in scope while lowering, with an optional journal of every change, so that
//! a REPL input that fails can be taken back ([`super::Incremental`]).

use super::lower::Symbol;
use crate::syntax::Span;
use std::collections::HashMap;

type Map = HashMap<String, (Symbol, Span), foldhash::fast::RandomState>;

/// A name's entry before a change: `None` when the name was not in scope.
pub(super) type Before = (String, Option<(Symbol, Span)>);

/// What each name stands for (and where it is declared).
#[derive(Debug, Clone, Default)]
pub(super) struct Symbols {
    map: Map,
    /// While journaling, every name changed, with its entry before the change.
    journal: Option<Vec<Before>>,
}

impl Symbols {
    pub(super) fn get(&self, name: &str) -> Option<&(Symbol, Span)> {
        self.map.get(name)
    }

    pub(super) fn contains_key(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &(Symbol, Span))> {
        self.map.iter()
    }

    /// Sets what `name` stands for (journaled).
    pub(super) fn insert(&mut self, name: String, entry: (Symbol, Span)) {
        let old = self.map.insert(name.clone(), entry);
        if let Some(journal) = &mut self.journal {
            journal.push((name, old));
        }
    }

    /// Changes the symbol of a name already in scope (journaled).
    pub(super) fn set_symbol(&mut self, name: &str, symbol: Symbol) {
        if let Some(entry) = self.map.get_mut(name) {
            let old = std::mem::replace(&mut entry.0, symbol);
            if let Some(journal) = &mut self.journal {
                journal.push((name.to_string(), Some((old, entry.1))));
            }
        }
    }

    /// Takes `name` out of scope (journaled).
    pub(super) fn remove(&mut self, name: &str) {
        let old = self.map.remove(name);
        if let (Some(journal), Some(old)) = (&mut self.journal, old) {
            journal.push((name.to_string(), Some(old)));
        }
    }

    /// Starts recording changes.
    pub(super) fn start_journal(&mut self) {
        self.journal = Some(Vec::new());
    }

    /// Stops recording and returns the changes since [`Symbols::start_journal`].
    pub(super) fn take_journal(&mut self) -> Vec<Before> {
        self.journal.take().unwrap_or_default()
    }

    /// Puts back the entries of a journal, newest change first.
    pub(super) fn restore(&mut self, journal: Vec<Before>) {
        for (name, before) in journal.into_iter().rev() {
            match before {
                Some(entry) => self.map.insert(name, entry),
                None => self.map.remove(&name),
            };
        }
    }
}
