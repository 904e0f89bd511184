//! Every argument value of the operation, variables included, checked against its input type
//! before execution: async-graphql coerces custom scalars (`Decimal`, `DateTime`) and the
//! range of `Int` only while resolving, with a message that names no field. Here each bad
//! value is a `BAD_USER_INPUT` whose `extensions.field` is the input field (or argument) at
//! fault. Structural mistakes (unknown fields, missing required ones) are left to validation.

use std::collections::HashSet;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{Name, ScalarType, Variables};
use async_graphql_value::{ConstValue, Value};
use chrono::{DateTime, Utc};

use super::{Refusal, SchemaShape};

struct Check<'a> {
    document: &'a ExecutableDocument,
    operation: &'a OperationDefinition,
    variables: &'a Variables,
    shape: &'a SchemaShape,
    fragments: HashSet<&'a str>,
    /// Variables already checked against a type, so a variable used many times costs once.
    checked: HashSet<(&'a str, String)>,
}

pub(super) fn check(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
    shape: &SchemaShape,
) -> Result<(), Refusal> {
    let root = &shape.roots[match operation.ty {
        OperationType::Query => 0,
        OperationType::Mutation => 1,
        OperationType::Subscription => 2,
    }];
    let mut check = Check {
        document,
        operation,
        variables,
        shape,
        fragments: HashSet::new(),
        checked: HashSet::new(),
    };
    check.selection_set(&operation.selection_set.node, Some(root))
}

impl<'a> Check<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&str>,
    ) -> Result<(), Refusal> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let shape = self.shape.field(parent, field.name.node.as_str());
                    if let Some(shape) = shape {
                        for (name, value) in &field.arguments {
                            if let Some(ty) = shape.arguments.get(name.node.as_str()) {
                                self.value(&value.node, ty, name.node.as_str())?;
                            }
                        }
                    }
                    let child = shape.map(|shape| shape.type_name.as_str());
                    self.selection_set(&field.selection_set.node, child)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if let Some((key, fragment)) = self.document.fragments.get_key_value(name)
                        && self.fragments.insert(key.as_str())
                    {
                        let condition = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(&fragment.node.selection_set.node, Some(condition))?;
                    }
                }
                Selection::InlineFragment(inline) => {
                    let condition = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.as_str())
                        .or(parent);
                    self.selection_set(&inline.node.selection_set.node, condition)?;
                }
            }
        }
        Ok(())
    }

    /// A literal of the document, which may hold variables.
    fn value(&mut self, value: &'a Value, ty: &Type, field: &str) -> Result<(), Refusal> {
        match value {
            Value::Variable(name) => self.variable(name, ty, field),
            Value::Null => Ok(()),
            Value::List(items) => match &ty.base {
                BaseType::List(item) => items
                    .iter()
                    .try_for_each(|value| self.value(value, item, field)),
                BaseType::Named(_) => Err(Refusal::bad_input(field, "must not be a list")),
            },
            Value::Object(object) => {
                let BaseType::Named(name) = &ty.base else {
                    // One value where a list is expected is a list of one.
                    return self.value(value, list_item(ty), field);
                };
                let Some(fields) = self.shape.input_fields(name) else {
                    return Err(Refusal::bad_input(field, "must not be an object"));
                };
                for (key, value) in object {
                    if let Some(ty) = fields.get(key.as_str()) {
                        self.value(value, ty, key.as_str())?;
                    }
                }
                Ok(())
            }
            scalar => match &ty.base {
                BaseType::List(item) => self.value(scalar, item, field),
                BaseType::Named(name) => {
                    let scalar = scalar.clone().into_const().unwrap_or(ConstValue::Null);
                    self.leaf(&scalar, name, field)
                }
            },
        }
    }

    fn variable(&mut self, name: &'a Name, ty: &Type, field: &str) -> Result<(), Refusal> {
        if !self.checked.insert((name.as_str(), ty.to_string())) {
            return Ok(());
        }
        let default = || {
            self.operation
                .variable_definitions
                .iter()
                .find(|definition| definition.node.name.node == *name)
                .and_then(|definition| definition.node.default_value.as_ref())
                .map(|value| &value.node)
        };
        match self.variables.get(name).or_else(default) {
            Some(value) => self.constant(value, ty, field),
            None => Ok(()),
        }
    }

    /// A value of the request's variables.
    fn constant(&self, value: &ConstValue, ty: &Type, field: &str) -> Result<(), Refusal> {
        match value {
            ConstValue::Null => Ok(()),
            ConstValue::List(items) => match &ty.base {
                BaseType::List(item) => items
                    .iter()
                    .try_for_each(|value| self.constant(value, item, field)),
                BaseType::Named(_) => Err(Refusal::bad_input(field, "must not be a list")),
            },
            ConstValue::Object(object) => {
                let BaseType::Named(name) = &ty.base else {
                    return self.constant(value, list_item(ty), field);
                };
                let Some(fields) = self.shape.input_fields(name) else {
                    return Err(Refusal::bad_input(field, "must not be an object"));
                };
                for (key, value) in object {
                    if let Some(ty) = fields.get(key.as_str()) {
                        self.constant(value, ty, key.as_str())?;
                    }
                }
                Ok(())
            }
            scalar => match &ty.base {
                BaseType::List(item) => self.constant(scalar, item, field),
                BaseType::Named(name) => self.leaf(scalar, name, field),
            },
        }
    }

    /// A scalar or enum value against the named type.
    fn leaf(&self, value: &ConstValue, type_name: &str, field: &str) -> Result<(), Refusal> {
        let valid = match type_name {
            "Int" => {
                matches!(value, ConstValue::Number(n) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()))
            }
            "Float" => matches!(value, ConstValue::Number(_)),
            "String" => matches!(value, ConstValue::String(_)),
            "Boolean" => matches!(value, ConstValue::Boolean(_)),
            "ID" => {
                matches!(value, ConstValue::String(_))
                    || matches!(value, ConstValue::Number(n) if n.is_i64() || n.is_u64())
            }
            "Decimal" => <rust_decimal::Decimal as ScalarType>::parse(value.clone()).is_ok(),
            "DateTime" => <DateTime<Utc> as ScalarType>::parse(value.clone()).is_ok(),
            _ => match self.shape.enum_values(type_name) {
                Some(values) => match value {
                    ConstValue::Enum(name) => values.contains(name.as_str()),
                    ConstValue::String(name) => values.contains(name.as_str()),
                    _ => false,
                },
                // An input object given a scalar.
                None if self.shape.input_fields(type_name).is_some() => false,
                None => true,
            },
        };
        if valid {
            return Ok(());
        }
        let expected = match type_name {
            "Int" => "must be a whole number from -2147483648 to 2147483647".to_owned(),
            "Float" => "must be a number".to_owned(),
            "String" => "must be a string".to_owned(),
            "Boolean" => "must be true or false".to_owned(),
            "ID" => "must be an ID (a string)".to_owned(),
            "Decimal" => "must be a decimal number, e.g. \"12.5\"".to_owned(),
            "DateTime" => {
                "must be an RFC 3339 date and time, e.g. \"2026-11-02T08:30:00Z\"".to_owned()
            }
            other => match self.shape.enum_values(other) {
                Some(values) => {
                    let mut values: Vec<_> = values.iter().map(String::as_str).collect();
                    values.sort_unstable();
                    format!("must be one of {}", values.join(", "))
                }
                None => format!("must be a {other} object"),
            },
        };
        Err(Refusal::bad_input(field, expected))
    }
}

fn list_item(ty: &Type) -> &Type {
    match &ty.base {
        BaseType::List(item) => item,
        BaseType::Named(_) => ty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SDL: &str = "type Query { f(input: In!, n: Int, list: [ID!]): Int }
        input In { amount: Decimal when: DateTime kind: Kind nested: [In!] name: String }
        enum Kind { ONE TWO }
        scalar Decimal scalar DateTime";

    fn run(query: &str, variables: serde_json::Value) -> Result<(), Refusal> {
        let shape = SchemaShape::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        let (_, operation) = super::super::selected_operation(&document, None).unwrap();
        check(
            &document,
            operation,
            &Variables::from_json(variables),
            &shape,
        )
    }

    fn field_at_fault(query: &str, variables: serde_json::Value) -> Option<String> {
        run(query, variables).unwrap_err().field
    }

    #[test]
    fn names_the_field_of_every_bad_scalar() {
        let q = "query($i: In!) { f(input: $i) }";
        for (variables, field) in [
            (serde_json::json!({ "i": { "amount": "ten" } }), "amount"),
            (serde_json::json!({ "i": { "amount": "1e30" } }), "amount"),
            (serde_json::json!({ "i": { "when": "yesterday" } }), "when"),
            (serde_json::json!({ "i": { "kind": "THREE" } }), "kind"),
            (serde_json::json!({ "i": { "name": 5 } }), "name"),
            (
                serde_json::json!({ "i": { "nested": [{ "when": 1 }] } }),
                "when",
            ),
        ] {
            assert_eq!(field_at_fault(q, variables).as_deref(), Some(field));
        }
        assert_eq!(
            field_at_fault("{ f(input: {}, n: 99999999999) }", serde_json::json!({})).as_deref(),
            Some("n")
        );
        assert_eq!(
            field_at_fault("{ f(input: { amount: \"x\" }) }", serde_json::json!({})).as_deref(),
            Some("amount")
        );
        assert!(run(q, serde_json::json!({ "i": { "amount": "12.5", "kind": "ONE", "when": "2026-11-02T08:30:00Z" } })).is_ok());
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            "\\PC{0,20}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::hash_map("amount|when|kind|nested|name|x", inner, 0..4)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_any_variables(value in json_value()) {
            let _ = run("query($i: In!, $n: Int, $l: [ID!]) { f(input: $i, n: $n, list: $l) }",
                serde_json::json!({ "i": value.clone(), "n": value.clone(), "l": value }));
        }
    }
}
