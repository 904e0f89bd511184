//! The measure of an operation, fragments expanded but each measured once (memoised, so a
//! "fragment bomb" costs its size, not its expansion): depth, aliases, root fields,
//! directives per selection, and a complexity that multiplies a connection's selection by its
//! page size. Introspection is measured apart, by the nesting rule of graphql-js's
//! `MaxIntrospectionDepthRule`, so GraphiQL and code generators load the schema whatever the
//! limits for data are.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};

use super::{Refusal, SchemaShape};
use crate::config::QueryLimits;
use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// What a list that is not a connection is assumed to hold: such lists are short by
/// construction (the catalog, a provision's flights, an allocation's ranges).
pub const LIST_FACTOR: u64 = 10;
/// Nested introspection type lists allowed, as graphql-js allows: its standard introspection
/// query nests two (`types { fields }`).
const MAX_INTROSPECTION_LISTS: usize = 3;
/// Field nesting allowed inside introspection (the standard query's `ofType` chain is 10 deep).
const MAX_INTROSPECTION_DEPTH: usize = 32;

pub(super) fn check_fragment_count(
    document: &ExecutableDocument,
    limits: &QueryLimits,
) -> Result<(), Refusal> {
    if document.fragments.len() > limits.max_fragments {
        return Err(Refusal::new(
            "TOO_MANY_FRAGMENTS",
            format!(
                "the document defines more than {} fragments",
                limits.max_fragments
            ),
        ));
    }
    Ok(())
}

/// The measure of a selection set.
#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    complexity: u64,
    depth: usize,
    aliases: u64,
    fields: u64,
}

impl Measure {
    fn plus(self, other: Measure) -> Measure {
        Measure {
            complexity: self.complexity.saturating_add(other.complexity),
            depth: self.depth.max(other.depth),
            aliases: self.aliases.saturating_add(other.aliases),
            fields: self.fields.saturating_add(other.fields),
        }
    }
}

struct Analysis<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    operation: &'a OperationDefinition,
    shape: &'a SchemaShape,
    limits: &'a QueryLimits,
    fragments: HashMap<&'a str, Measure>,
    introspection_fragments: HashMap<&'a str, (usize, usize)>,
    visiting: HashSet<&'a str>,
}

/// Measures `operation` against `limits`.
pub(super) fn analyze(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
    shape: &SchemaShape,
    limits: &QueryLimits,
) -> Result<(), Refusal> {
    let root = &shape.roots[match operation.ty {
        OperationType::Query => 0,
        OperationType::Mutation => 1,
        OperationType::Subscription => 2,
    }];
    let mut analysis = Analysis {
        document,
        variables,
        operation,
        shape,
        limits,
        fragments: HashMap::new(),
        introspection_fragments: HashMap::new(),
        visiting: HashSet::new(),
    };
    let measure = analysis.selection_set(&operation.selection_set.node, Some(root))?;
    if measure.fields > limits.max_root_fields {
        return Err(Refusal::new(
            "TOO_MANY_ROOT_FIELDS",
            format!(
                "the operation selects more than {} root fields",
                limits.max_root_fields
            ),
        ));
    }
    if measure.depth > limits.max_depth {
        return Err(Refusal::new(
            "QUERY_TOO_DEEP",
            format!(
                "the operation nests fields {} levels deep; the limit is {}",
                measure.depth, limits.max_depth
            ),
        ));
    }
    if measure.aliases > limits.max_aliases {
        return Err(Refusal::new(
            "TOO_MANY_ALIASES",
            format!(
                "the operation uses more than {} aliases",
                limits.max_aliases
            ),
        ));
    }
    if measure.complexity > limits.max_complexity {
        return Err(Refusal::new(
            "QUERY_TOO_COMPLEX",
            format!(
                "the operation's complexity exceeds {}: each field counts 1, times the page \
                 size of every connection it is in; ask for smaller pages or fewer fields",
                limits.max_complexity
            ),
        ));
    }
    Ok(())
}

/// A fragment cycle; validation would report it too, but only after expanding it.
fn spreads_itself(name: &str) -> Refusal {
    Refusal::new(
        "GRAPHQL_VALIDATION_FAILED",
        format!("fragment {} spreads itself", crate::error::quote(name)),
    )
}

impl<'a> Analysis<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&str>,
    ) -> Result<Measure, Refusal> {
        let mut total = Measure::default();
        for selection in &set.items {
            let directives = selection.node.directives().len();
            if directives > self.limits.max_directives {
                return Err(Refusal::new(
                    "TOO_MANY_DIRECTIVES",
                    format!(
                        "a selection carries {directives} directives; the limit is {}",
                        self.limits.max_directives
                    ),
                ));
            }
            let measure = match &selection.node {
                Selection::Field(field) => self.field(&field.node, parent)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let condition = inline
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str())
                        .or(parent);
                    self.selection_set(&inline.selection_set.node, condition)?
                }
            };
            total = total.plus(measure);
        }
        Ok(total)
    }

    fn field(
        &mut self,
        field: &'a async_graphql::parser::types::Field,
        parent: Option<&str>,
    ) -> Result<Measure, Refusal> {
        let name = field.name.node.as_str();
        let alias = u64::from(field.alias.is_some());
        if name == "__schema" || name == "__type" {
            let (lists, depth) = self.introspection(&field.selection_set.node)?;
            if lists >= MAX_INTROSPECTION_LISTS || depth > MAX_INTROSPECTION_DEPTH {
                return Err(Refusal::new(
                    "INTROSPECTION_TOO_DEEP",
                    "the introspection query nests too deep: at most two nested type lists \
                     (fields, interfaces, possibleTypes, inputFields)",
                ));
            }
        }
        if name.starts_with("__") {
            return Ok(Measure {
                aliases: alias,
                fields: 1,
                ..Measure::default()
            });
        }
        let shape = self.shape.field(parent, name);
        let children = self.selection_set(
            &field.selection_set.node,
            shape.map(|shape| shape.type_name.as_str()),
        )?;
        let factor = match shape {
            Some(shape) if shape.type_name.ends_with("Connection") => {
                self.page_size(&field.arguments)
            }
            // A connection's own `edges` and `nodes` are its page, counted above.
            Some(shape) if shape.list && !parent.is_some_and(|p| p.ends_with("Connection")) => {
                LIST_FACTOR
            }
            _ => 1,
        };
        Ok(Measure {
            complexity: children.complexity.saturating_mul(factor).saturating_add(1),
            depth: if field.selection_set.node.items.is_empty() {
                0
            } else {
                children.depth + 1
            },
            aliases: children.aliases.saturating_add(alias),
            fields: 1,
        })
    }

    fn fragment(&mut self, name: &'a str) -> Result<Measure, Refusal> {
        if let Some(measure) = self.fragments.get(name) {
            return Ok(*measure);
        }
        // An unknown fragment is reported by validation.
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Ok(Measure::default());
        };
        if !self.visiting.insert(key.as_str()) {
            return Err(spreads_itself(name));
        }
        let condition = fragment.node.type_condition.node.on.node.as_str();
        let measure = self.selection_set(&fragment.node.selection_set.node, Some(condition))?;
        self.visiting.remove(key.as_str());
        self.fragments.insert(key.as_str(), measure);
        Ok(measure)
    }

    /// The most nested introspection type lists (`fields`, `interfaces`, `possibleTypes`,
    /// `inputFields`) and the deepest field nesting of an introspection selection.
    fn introspection(&mut self, set: &'a SelectionSet) -> Result<(usize, usize), Refusal> {
        let mut deepest = (0, 0);
        for selection in &set.items {
            let (lists, depth) = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let (lists, depth) = self.introspection(&field.node.selection_set.node)?;
                    let list = matches!(
                        name,
                        "fields" | "interfaces" | "possibleTypes" | "inputFields"
                    );
                    (lists + usize::from(list), depth + 1)
                }
                Selection::FragmentSpread(spread) => {
                    self.introspection_fragment(spread.node.fragment_name.node.as_str())?
                }
                Selection::InlineFragment(inline) => {
                    self.introspection(&inline.node.selection_set.node)?
                }
            };
            deepest = (deepest.0.max(lists), deepest.1.max(depth));
        }
        Ok(deepest)
    }

    fn introspection_fragment(&mut self, name: &'a str) -> Result<(usize, usize), Refusal> {
        if let Some(measure) = self.introspection_fragments.get(name) {
            return Ok(*measure);
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Ok((0, 0));
        };
        if !self.visiting.insert(key.as_str()) {
            return Err(spreads_itself(name));
        }
        let measure = self.introspection(&fragment.node.selection_set.node)?;
        self.visiting.remove(key.as_str());
        self.introspection_fragments.insert(key.as_str(), measure);
        Ok(measure)
    }

    /// The page a connection field asks for: `first` or `last`, literal or variable, within
    /// the bounds its resolver enforces.
    fn page_size(&self, arguments: &[(Positioned<Name>, Positioned<Value>)]) -> u64 {
        arguments
            .iter()
            .filter(|(name, _)| matches!(name.node.as_str(), "first" | "last"))
            .filter_map(|(_, value)| match &value.node {
                Value::Number(number) => number.as_u64(),
                Value::Variable(variable) => self.variable_number(variable),
                _ => None,
            })
            .max()
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE)
    }

    fn variable_number(&self, variable: &Name) -> Option<u64> {
        let default = || {
            self.operation
                .variable_definitions
                .iter()
                .find(|definition| definition.node.name.node == *variable)
                .and_then(|definition| definition.node.default_value.as_ref())
                .map(|value| &value.node)
        };
        match self.variables.get(variable).or_else(default)? {
            ConstValue::Number(number) => number.as_u64(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> SchemaShape {
        SchemaShape::from_sdl(
            "type Query { items(first: Int, last: Int): ItemConnection! list: [Item!]! one: Item }
             type ItemConnection { edges: [ItemEdge!]! nodes: [Item!]! }
             type ItemEdge { node: Item! cursor: String! }
             type Item { id: ID! items(first: Int): ItemConnection! }",
        )
    }

    fn measure(query: &str, variables: serde_json::Value) -> Result<(), Refusal> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let (_, operation) = super::super::selected_operation(&document, None).unwrap();
        let variables = Variables::from_json(variables);
        check_fragment_count(&document, &QueryLimits::default())?;
        analyze(
            &document,
            operation,
            &variables,
            &shape(),
            &QueryLimits::default(),
        )
    }

    #[test]
    fn multiplies_connections_by_their_page() {
        // 100 × (100 × 1 + 3) fields.
        let nested = "{ items(first: 100) { nodes { id items(first: 100) { nodes { id } } } } }";
        assert_eq!(
            measure(nested, serde_json::json!({})).unwrap_err().code,
            "QUERY_TOO_COMPLEX"
        );
        let by_variable = "query($n: Int = 100) { items(first: $n) { nodes { id items(first: $n) { nodes { id } } } } }";
        assert_eq!(
            measure(by_variable, serde_json::json!({}))
                .unwrap_err()
                .code,
            "QUERY_TOO_COMPLEX"
        );
        assert!(measure(by_variable, serde_json::json!({ "n": 10 })).is_ok());
        assert!(
            measure(
                "{ items(first: 100) { nodes { id items(first: 5) { nodes { id } } } } }",
                serde_json::json!({})
            )
            .is_ok()
        );
    }

    #[test]
    fn measures_a_fragment_bomb_without_expanding_it() {
        let mut query = String::from("{ one { ...F0 } }\n");
        for level in 0..40 {
            query.push_str(&format!(
                "fragment F{level} on Item {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        query.push_str("fragment F40 on Item { id }\n");
        assert_eq!(
            measure(&query, serde_json::json!({})).unwrap_err().code,
            "QUERY_TOO_COMPLEX"
        );
    }

    #[test]
    fn refuses_fragment_cycles() {
        let query = "{ one { ...A } } fragment A on Item { ...B } fragment B on Item { ...A }";
        assert_eq!(
            measure(query, serde_json::json!({})).unwrap_err().code,
            "GRAPHQL_VALIDATION_FAILED"
        );
    }

    #[test]
    fn counts_aliases_roots_and_directives() {
        let roots: String = (0..51).map(|i| format!("a{i}: one {{ id }} ")).collect();
        assert_eq!(
            measure(&format!("{{ {roots} }}"), serde_json::json!({}))
                .unwrap_err()
                .code,
            "TOO_MANY_ROOT_FIELDS"
        );
        let nested: String = (0..51).map(|i| format!("a{i}: id ")).collect();
        assert_eq!(
            measure(&format!("{{ one {{ {nested} }} }}"), serde_json::json!({}))
                .unwrap_err()
                .code,
            "TOO_MANY_ALIASES"
        );
        let directives = "@include(if: true) ".repeat(6);
        assert_eq!(
            measure(
                &format!("{{ one {{ id {directives} }} }}"),
                serde_json::json!({})
            )
            .unwrap_err()
            .code,
            "TOO_MANY_DIRECTIVES"
        );
    }

    #[test]
    fn measures_introspection_apart() {
        let standard = include_str!("../../../tests/data/introspection_query.graphql");
        assert!(measure(standard, serde_json::json!({})).is_ok());
        let abusive =
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
        assert_eq!(
            measure(abusive, serde_json::json!({})).unwrap_err().code,
            "INTROSPECTION_TOO_DEEP"
        );
    }
}
