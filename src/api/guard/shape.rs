//! What the guard needs to know of the schema, read from its SDL: each output field's type
//! and arguments, each input object's fields, each enum's values.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

#[derive(Debug, Default)]
pub struct SchemaShape {
    outputs: HashMap<String, HashMap<String, OutputField>>,
    inputs: HashMap<String, HashMap<String, Type>>,
    enums: HashMap<String, HashSet<String>>,
    /// Query, mutation and subscription root type names.
    pub(super) roots: [String; 3],
}

#[derive(Debug)]
pub(super) struct OutputField {
    pub type_name: String,
    pub list: bool,
    pub arguments: HashMap<String, Type>,
}

impl SchemaShape {
    pub fn from_sdl(sdl: &str) -> Self {
        let document =
            async_graphql::parser::parse_schema(sdl).expect("the schema's own SDL parses");
        let mut shape = SchemaShape {
            roots: ["Query".into(), "Mutation".into(), "Subscription".into()],
            ..SchemaShape::default()
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    for (slot, name) in [schema.query, schema.mutation, schema.subscription]
                        .into_iter()
                        .enumerate()
                    {
                        if let Some(name) = name {
                            shape.roots[slot] = name.node.to_string();
                        }
                    }
                }
                TypeSystemDefinition::Type(definition) => {
                    let definition = definition.node;
                    let name = definition.name.node.to_string();
                    match definition.kind {
                        TypeKind::Object(object) => {
                            shape.outputs.insert(name, output_fields(object.fields));
                        }
                        TypeKind::Interface(interface) => {
                            shape.outputs.insert(name, output_fields(interface.fields));
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input
                                .fields
                                .into_iter()
                                .map(|field| (field.node.name.node.to_string(), field.node.ty.node))
                                .collect();
                            shape.inputs.insert(name, fields);
                        }
                        TypeKind::Enum(enumeration) => {
                            let values = enumeration
                                .values
                                .into_iter()
                                .map(|value| value.node.value.node.to_string())
                                .collect();
                            shape.enums.insert(name, values);
                        }
                        TypeKind::Scalar | TypeKind::Union(_) => {}
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        shape
    }

    pub(super) fn field(&self, parent: Option<&str>, name: &str) -> Option<&OutputField> {
        self.outputs.get(parent?)?.get(name)
    }

    pub(super) fn input_fields(&self, name: &str) -> Option<&HashMap<String, Type>> {
        self.inputs.get(name)
    }

    pub(super) fn enum_values(&self, name: &str) -> Option<&HashSet<String>> {
        self.enums.get(name)
    }
}

fn output_fields(
    fields: Vec<async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>>,
) -> HashMap<String, OutputField> {
    fields
        .into_iter()
        .map(|field| {
            let field = field.node;
            let (type_name, list) = named_type(&field.ty.node.base);
            let arguments = field
                .arguments
                .into_iter()
                .map(|argument| (argument.node.name.node.to_string(), argument.node.ty.node))
                .collect();
            (
                field.name.node.to_string(),
                OutputField {
                    type_name,
                    list,
                    arguments,
                },
            )
        })
        .collect()
}

/// The named type under any list and non-null wrappers, and whether a list wraps it.
fn named_type(base: &BaseType) -> (String, bool) {
    match base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (named_type(&inner.base).0, true),
    }
}
