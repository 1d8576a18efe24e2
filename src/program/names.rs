//! Name-level analysis: the nearest-name suggestion, and the order in which definitions
//! are lowered (dependencies first), with cycles found and named.

use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

/// The candidate nearest to `name` by edit distance, if it is near enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(name, c), c))
        // A one-letter name is one edit from every other: suggest nothing for it.
        .filter(|(d, _)| *d <= limit && *d < length)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c.to_string())
}

/// Edits between two names, a swap of neighbours counting as one (`adma` is one edit
/// from `adam`, a typo people make), by strsim's optimal string alignment distance.
fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The dependency order of definitions: `uses[i]` lists the definitions `i` refers to.
/// Returns the definitions in an order where each comes after what it uses, and the
/// cycles found (each as a list of indices, the first repeated at the end); definitions
/// in or depending on a cycle are left out of the order.
pub fn order(uses: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..uses.len()).map(|i| graph.add_node(i)).collect();
    for (user, deps) in uses.iter().enumerate() {
        for &dep in deps {
            graph.add_edge(nodes[dep], nodes[user], ());
        }
    }
    let mut cycles = Vec::new();
    let mut blocked = vec![false; uses.len()];
    for scc in petgraph::algo::kosaraju_scc(&graph) {
        let cyclic = scc.len() > 1 || uses[graph[scc[0]]].contains(&graph[scc[0]]);
        if cyclic {
            let members: Vec<usize> = scc.iter().map(|&n| graph[n]).collect();
            cycles.push(cycle_path(uses, &members));
            for m in members {
                blocked[m] = true;
            }
        }
    }
    (kahn(uses, &mut blocked), cycles)
}

/// Kahn's algorithm, taking the first ready definition in source order (so a source
/// already in dependency order keeps its order); what depends on a blocked definition
/// is blocked too.
fn kahn(uses: &[Vec<usize>], blocked: &mut [bool]) -> Vec<usize> {
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); uses.len()];
    let mut waiting: Vec<usize> = vec![0; uses.len()];
    for (user, deps) in uses.iter().enumerate() {
        for &dep in deps {
            users[dep].push(user);
            waiting[user] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..uses.len())
        .filter(|&i| waiting[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::new();
    while let Some(Reverse(i)) = ready.pop() {
        if !blocked[i] {
            order.push(i);
        }
        for &user in &users[i] {
            if blocked[i] {
                blocked[user] = true;
            }
            waiting[user] -= 1;
            if waiting[user] == 0 {
                ready.push(Reverse(user));
            }
        }
    }
    order
}

/// A path around a cycle inside one strongly connected component, by breadth-first
/// search from its smallest member back to itself.
fn cycle_path(uses: &[Vec<usize>], members: &[usize]) -> Vec<usize> {
    let start = members.iter().copied().min().unwrap_or(0);
    let members: std::collections::HashSet<usize> = members.iter().copied().collect();
    let mut came_from: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        for &next in &uses[current] {
            if !members.contains(&next) {
                continue;
            }
            if next == start {
                let mut path = vec![start, current];
                let mut at = current;
                while at != start {
                    at = came_from[&at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = came_from.entry(next) {
                e.insert(current);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_typos() {
        assert_eq!(
            suggest("sigmiod", ["sigmoid", "sin"]),
            Some("sigmoid".into())
        );
        assert_eq!(suggest("wx", ["w", "x", "loss"]), Some("w".into()));
        assert_eq!(suggest("y", ["x", "k"]), None);
        assert_eq!(suggest("adma", ["adam", "gd"]), Some("adam".into()));
        assert_eq!(suggest("banana", ["w", "b"]), None);
    }

    #[test]
    fn order_puts_dependencies_first_and_names_cycles() {
        // 0 uses 1, 1 uses 2; 3 and 4 use each other; 5 uses 3.
        let uses = vec![vec![1], vec![2], vec![], vec![4], vec![3], vec![3]];
        let (order, cycles) = order(&uses);
        assert_eq!(order, vec![2, 1, 0]);
        assert_eq!(cycles.len(), 1);
        let cycle = &cycles[0];
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 3);
    }
}
