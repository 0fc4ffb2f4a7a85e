//! No two modules of the library name each other (ARCHITECTURE.md: dependencies point
//! one way). Reads every file under `src/` (the binary's `cli/` aside), takes each
//! `crate::a::b` and `super::a` path outside the unit-test modules, doc links
//! included, and looks for a cycle among the modules at each depth: `a`, `a::b`,
//! `a::b::c`. A parent and its own children may name each other (a module re-exports
//! its parts, and the parts use its types); siblings and strangers may not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// The module a file under `src/` defines: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_of(relative: &Path) -> Module {
    let mut parts: Module = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every `.rs` file under `dir`, as paths relative to `root`.
fn rust_files(root: &Path, dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

/// The module paths `text` names after `prefix` (`crate::` or `super::`).
fn named_after<'t>(text: &'t str, prefix: &'static str) -> impl Iterator<Item = Module> + 't {
    text.match_indices(prefix)
        // A whole word: not the end of `my_crate::`.
        .filter(|(at, _)| !text[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(move |(at, _)| path_at(&text[at + prefix.len()..]))
}

/// The lower-case names at the start of `rest`, each followed by `::` but the last:
/// modules (and perhaps a function or macro at the end, which names no module back).
fn path_at(mut rest: &str) -> Module {
    let mut path = Module::new();
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return path;
        }
        path.push(name.to_string());
        match rest[end..].strip_prefix("::") {
            Some(more) => rest = more,
            None => return path,
        }
    }
}

/// Which modules each module names, outside its unit tests.
fn names() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &root, &mut files);
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for file in files {
        let module = module_of(&file);
        if matches!(
            module.first().map(String::as_str),
            None | Some("cli" | "lib" | "main")
        ) {
            continue;
        }
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let parent = &module[..module.len() - 1];
        let named = graph.entry(module.clone()).or_default();
        named.extend(named_after(code, "crate::"));
        named.extend(named_after(code, "super::").map(|m| [parent, &m].concat()));
    }
    graph
}

/// A cycle among the modules cut to `depth` parts, if there is one.
fn cycle_at(graph: &BTreeMap<Module, BTreeSet<Module>>, depth: usize) -> Option<Vec<Module>> {
    let cut = |m: &Module| m[..m.len().min(depth)].to_vec();
    let related = |a: &Module, b: &Module| a.starts_with(b) || b.starts_with(a);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (from, named) in graph {
        for to in named {
            let (from, to) = (cut(from), cut(to));
            if !related(&from, &to) {
                edges.entry(from).or_default().insert(to);
            }
        }
    }
    // Depth-first search; `path` holds the modules being visited.
    fn visit(
        at: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            return Some(path[start..].to_vec());
        }
        if !done.insert(at.clone()) {
            return None;
        }
        path.push(at.clone());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, &edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_two_modules_name_each_other_at_any_depth() {
    let graph = names();
    assert!(graph.contains_key(&vec!["linalg".to_string(), "sparse".to_string()]));
    for depth in 1..=3 {
        if let Some(cycle) = cycle_at(&graph, depth) {
            let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
            panic!("modules that name each other: {}", names.join(" -> "));
        }
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let module = |s: &str| s.split("::").map(String::from).collect::<Module>();
    let mut graph = BTreeMap::new();
    graph.insert(module("a::x"), BTreeSet::from([module("b")]));
    graph.insert(module("b"), BTreeSet::from([module("a::y::z")]));
    graph.insert(module("a"), BTreeSet::from([module("a::x")]));
    assert_eq!(cycle_at(&graph, 1), Some(vec![module("a"), module("b")]));
    // At depth 2, `a::x` and `a::y` are strangers: b names a::y, a::x names b.
    assert_eq!(cycle_at(&graph, 2), None);
    let text = "use crate::nn::{Mlp, Dense};\nuse super::row_groups::GROUP; crate::simd::dispatch!";
    let named: Vec<Module> = named_after(text, "crate::").collect();
    assert_eq!(named, vec![module("nn"), module("simd::dispatch")]);
    let named: Vec<Module> = named_after(text, "super::").collect();
    assert_eq!(named, vec![module("row_groups")]);
}
