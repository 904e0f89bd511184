//! The operator's side of Contrail, `deploy/`: the Prometheus alerting rules, their unit tests
//! and the example configuration pass `promtool`; every alert is tested both firing and not
//! firing; the Grafana dashboard imports (valid JSON, a `DS_PROMETHEUS` input, no overlapping
//! panels) and every one of its queries parses; and the rules, their tests' input series and
//! the dashboard name only series the server exports, with labels (and label values) it sets:
//! `METRICS` below, which a test of the live `/metrics` holds the server to.
//!
//! `promtool` (Debian's `prometheus` package) may be missing on a laptop: the checks that need
//! it run when `PROMETHEUS_TESTS` is set (`.ci/run` installs it and sets it), and are listed as
//! ignored, with the reason, otherwise.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const RULES: &str = "deploy/prometheus/alerts.yml";
const RULE_TESTS: &str = "deploy/prometheus/alerts.test.yml";
const PROMETHEUS_CONFIG: &str = "deploy/prometheus/prometheus.yml";
const DASHBOARD: &str = "deploy/grafana/contrail.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    /// Exposed as `<name>_bucket` (with `le`), `<name>_sum` and `<name>_count`.
    Histogram,
}

/// A label and the values it takes (empty: values not known in advance).
pub(crate) type Label = (&'static str, &'static [&'static str]);

pub(crate) struct Metric {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) labels: &'static [Label],
}

const fn metric(name: &'static str, kind: Kind, labels: &'static [Label]) -> Metric {
    Metric { name, kind, labels }
}

/// `unknown`: the document never ran (it did not parse, or was refused).
const OPERATION_TYPES: &[&str] = &["query", "mutation", "subscription", "unknown"];

/// Every metric the server exports, as the rules and the dashboard may use it.
pub(crate) const METRICS: &[Metric] = &[
    // HTTP
    metric(
        "contrail_http_requests_total",
        Kind::Counter,
        &[("route", &[]), ("method", &[]), ("status", &[])],
    ),
    metric(
        "contrail_http_request_duration_seconds",
        Kind::Histogram,
        &[("route", &[])],
    ),
    // GraphQL
    metric(
        "contrail_graphql_operations_total",
        Kind::Counter,
        &[
            ("type", OPERATION_TYPES),
            ("name", &[]),
            ("outcome", &["ok", "error"]),
        ],
    ),
    metric(
        "contrail_graphql_operation_duration_seconds",
        Kind::Histogram,
        &[("type", OPERATION_TYPES), ("name", &[])],
    ),
    metric(
        "contrail_graphql_errors_total",
        Kind::Counter,
        &[("code", &[])],
    ),
    metric(
        "contrail_graphql_documents_rejected_total",
        Kind::Counter,
        &[("limit", &[])],
    ),
    // Database
    metric(
        "contrail_db_connections",
        Kind::Gauge,
        &[("state", &["in_use", "idle"])],
    ),
    metric(
        "contrail_db_statement_duration_seconds",
        Kind::Histogram,
        &[],
    ),
    metric("contrail_db_connection_wait_seconds", Kind::Histogram, &[]),
    metric("contrail_db_statements_per_request", Kind::Histogram, &[]),
    // Product
    metric("contrail_quotes_issued_total", Kind::Counter, &[]),
    metric("contrail_quotes_expired", Kind::Gauge, &[]),
    metric(
        "contrail_checkouts_total",
        Kind::Counter,
        &[("outcome", &["opened", "paid", "expired", "failed"])],
    ),
    metric(
        "contrail_payments",
        Kind::Gauge,
        &[
            (
                "status",
                &[
                    "PENDING",
                    "SUCCEEDED",
                    "FAILED",
                    "CANCELLED",
                    "EXPIRED",
                    "REFUNDED",
                ],
            ),
            (
                "retirement",
                &["NOT_STARTED", "PENDING", "RETIRED", "FAILED"],
            ),
        ],
    ),
    metric("contrail_payments_paid_unretired", Kind::Gauge, &[]),
    metric(
        "contrail_payments_paid_unretired_oldest_age_seconds",
        Kind::Gauge,
        &[],
    ),
    metric("contrail_refunds_total", Kind::Counter, &[]),
    metric(
        "contrail_webhook_events_total",
        Kind::Counter,
        &[
            ("type", &[]),
            ("outcome", &["verified", "rejected", "duplicate"]),
        ],
    ),
    metric("contrail_retirement_backlog", Kind::Gauge, &[]),
    metric(
        "contrail_retirement_oldest_due_age_seconds",
        Kind::Gauge,
        &[],
    ),
    metric("contrail_outbox_depth", Kind::Gauge, &[]),
    metric("contrail_outbox_oldest_age_seconds", Kind::Gauge, &[]),
    metric(
        "contrail_credits_available_tonnes",
        Kind::Gauge,
        &[("listing", &[])],
    ),
    metric("contrail_websocket_connections", Kind::Gauge, &[]),
    metric("contrail_subscriptions", Kind::Gauge, &[]),
    // Process
    metric(
        "contrail_build_info",
        Kind::Gauge,
        &[("version", &[]), ("commit", &[])],
    ),
    metric("contrail_uptime_seconds", Kind::Gauge, &[]),
];

/// Series Prometheus writes itself: a target's `up`, and `ALERTS` (any labels).
const PROMETHEUS_SERIES: &[&str] = &["up", "ALERTS"];

/// Labels every scraped series carries: Prometheus's target labels, and the example
/// configuration's `env`.
const TARGET_LABELS: &[&str] = &["job", "instance", "env"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

// --- promtool ---------------------------------------------------------------------------------

/// `promtool <args>` run from the repository's root.
fn promtool(args: &[&str]) -> Output {
    Command::new("promtool")
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "promtool {} (PROMETHEUS_TESTS is set): {error}",
                args.join(" ")
            )
        })
}

/// What promtool printed, once it succeeded.
fn succeeded(output: Output, what: &str) -> String {
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "promtool {what} failed ({}):\n{printed}",
        output.status
    );
    printed
}

#[test]
#[cfg_attr(
    not(prometheus_tests),
    ignore = "Prometheus skipped: PROMETHEUS_TESTS is not set (needs Debian's prometheus: promtool)"
)]
fn promtool_finds_the_alerting_rules_sound_and_their_unit_tests_passing() {
    let check = promtool(&["check", "rules", "--lint=all", "--lint-fatal", RULES]);
    let printed = succeeded(check, "check rules");
    let alerts = yaml_values(&read(RULES), "alert").len();
    assert!(
        printed.contains(&format!("SUCCESS: {alerts} rules found")),
        "{printed}"
    );

    let test = promtool(&["test", "rules", RULE_TESTS]);
    let printed = succeeded(test, "test rules");
    assert!(printed.contains("SUCCESS"), "{printed}");
}

#[test]
#[cfg_attr(
    not(prometheus_tests),
    ignore = "Prometheus skipped: PROMETHEUS_TESTS is not set (needs Debian's prometheus: promtool)"
)]
fn promtool_accepts_the_example_configuration_and_its_rule_files() {
    let check = promtool(&["check", "config", PROMETHEUS_CONFIG]);
    let printed = succeeded(check, "check config");
    assert!(printed.contains("SUCCESS: 1 rule files found"), "{printed}");
}

/// Every query of the dashboard, its Grafana variables replaced, checked by promtool as the
/// expression of a recording rule.
#[test]
#[cfg_attr(
    not(prometheus_tests),
    ignore = "Prometheus skipped: PROMETHEUS_TESTS is not set (needs Debian's prometheus: promtool)"
)]
fn promtool_parses_every_query_of_the_dashboard() {
    let expressions = dashboard_expressions(&dashboard());
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (index, (_, expression)) in expressions.iter().enumerate() {
        let expression = serde_json::to_string(&without_grafana_variables(expression)).unwrap();
        rules.push_str(&format!(
            "      - record: dashboard:query_{index}\n        expr: {expression}\n"
        ));
    }
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let path = std::env::temp_dir().join(format!(
        "contrail_dashboard_{}_{unique}.yml",
        std::process::id()
    ));
    std::fs::write(&path, rules).unwrap();
    let rules = Removed(path);
    let output = promtool(&["check", "rules", rules.0.to_str().unwrap()]);
    let printed = succeeded(output, "check rules (the dashboard's queries)");
    assert!(
        printed.contains(&format!("SUCCESS: {} rules found", expressions.len())),
        "{printed}"
    );
}

/// A file removed when dropped, the test passing or not.
struct Removed(std::path::PathBuf);

impl Drop for Removed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `$__rate_interval` and the like become a duration, other variables (only ever inside label
/// matchers' strings) a word.
fn without_grafana_variables(expression: &str) -> String {
    let mut out = String::new();
    let mut rest = expression;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let (name, length) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}').expect("a closed ${…}");
                (&braced[..end], end + 2)
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        out.push_str(if name.starts_with("__") { "5m" } else { "x" });
        rest = &after[length..];
    }
    out.push_str(rest);
    out
}

// --- The rules' tests -------------------------------------------------------------------------

#[test]
fn every_alert_is_tested_firing_and_not_firing() {
    let alerts: BTreeSet<String> = yaml_values(&read(RULES), "alert").into_iter().collect();
    assert!(alerts.len() >= 5, "alerts read from {RULES}: {alerts:?}");
    let mut firing = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    let mut alertname: Option<String> = None;
    for line in read(RULE_TESTS).lines() {
        let line = line.trim_start().trim_start_matches("- ");
        if let Some(name) = line.strip_prefix("alertname:") {
            alertname = Some(name.trim().to_string());
        } else if let Some(expected) = line.strip_prefix("exp_alerts:") {
            let name = alertname
                .take()
                .expect("each alert_rule_test names its alertname before its exp_alerts");
            assert!(
                alerts.contains(&name),
                "{RULE_TESTS} tests `{name}`, not in {RULES}"
            );
            if expected.trim() == "[]" {
                quiet.insert(name);
            } else {
                firing.insert(name);
            }
        }
    }
    let never_firing: Vec<_> = alerts.difference(&firing).collect();
    let never_quiet: Vec<_> = alerts.difference(&quiet).collect();
    assert!(
        never_firing.is_empty() && never_quiet.is_empty(),
        "{RULE_TESTS} never shows firing: {never_firing:?}; never shows not firing: {never_quiet:?}"
    );
}

/// The values of `key:` in a YAML file laid out as ours are: a plain or quoted scalar after the
/// key, or a block scalar (`|`, `>`) on the lines indented below it.
fn yaml_values(text: &str, key: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut values = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim_start().trim_start_matches("- ");
        let Some(value) = content
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'))
        else {
            continue;
        };
        let value = value.trim();
        if value.starts_with('|') || value.starts_with('>') {
            let block: Vec<&str> = lines[index + 1..]
                .iter()
                .take_while(|next| {
                    next.trim().is_empty() || next.len() - next.trim_start().len() > indent
                })
                .map(|next| next.trim())
                .collect();
            values.push(block.join("\n").trim().to_string());
        } else if let Some(quoted) = value.strip_prefix('\'') {
            let end = quoted.rfind('\'').expect("a closed single-quoted scalar");
            values.push(quoted[..end].replace("''", "'"));
        } else if let Some(quoted) = value.strip_prefix('"') {
            let end = quoted.rfind('"').expect("a closed double-quoted scalar");
            values.push(quoted[..end].replace("\\\"", "\"").replace("\\\\", "\\"));
        } else {
            let plain = value.split(" #").next().unwrap().trim();
            values.push(plain.to_string());
        }
    }
    values
}

// --- The dashboard ----------------------------------------------------------------------------

fn dashboard() -> Value {
    serde_json::from_str(&read(DASHBOARD)).unwrap_or_else(|error| panic!("{DASHBOARD}: {error}"))
}

/// The panels, those inside collapsed rows included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut panels = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        panels.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            panels.extend(inner);
        }
    }
    panels
}

/// Every PromQL query of the dashboard, with where it is: panels' targets and annotations.
fn dashboard_expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut expressions = Vec::new();
    for panel in panels(dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expression = target["expr"]
                .as_str()
                .unwrap_or_else(|| panic!("a target of panel {} has no expr", panel["title"]));
            expressions.push((format!("panel {}", panel["title"]), expression.to_string()));
        }
    }
    for annotation in dashboard["annotations"]["list"]
        .as_array()
        .expect("annotations")
    {
        if let Some(expression) = annotation["expr"].as_str() {
            expressions.push((
                format!("annotation {}", annotation["name"]),
                expression.to_string(),
            ));
        }
    }
    expressions
}

/// The templating variables' `label_values(<selector>, <label>)` queries.
fn dashboard_variable_queries(dashboard: &Value) -> Vec<(String, String, String)> {
    let mut queries = Vec::new();
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if variable["type"] != "query" {
            continue;
        }
        let query = variable["query"]
            .as_str()
            .or_else(|| variable["query"]["query"].as_str())
            .expect("a query variable's query");
        let arguments = query
            .strip_prefix("label_values(")
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("variable {}: label_values(…) expected", variable["name"]));
        let (selector, label) = arguments
            .rsplit_once(',')
            .unwrap_or_else(|| panic!("variable {}: a metric and a label", variable["name"]));
        queries.push((
            format!("variable {}", variable["name"]),
            selector.trim().to_string(),
            label.trim().to_string(),
        ));
    }
    queries
}

#[test]
fn the_dashboard_imports_into_grafana() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "contrail");
    assert_eq!(dashboard["title"], "Contrail");
    let schema = dashboard["schemaVersion"].as_u64().expect("schemaVersion");
    assert!((36..=41).contains(&schema), "schemaVersion {schema}");
    let inputs = dashboard["__inputs"].as_array().expect("__inputs");
    assert!(
        inputs.iter().any(|input| input["name"] == "DS_PROMETHEUS"
            && input["type"] == "datasource"
            && input["pluginId"] == "prometheus"),
        "a DS_PROMETHEUS datasource input: {inputs:?}"
    );
    assert!(dashboard["id"].is_null(), "no instance-specific id");

    let prometheus = |value: &Value, what: &str| {
        assert_eq!(
            value["datasource"]["uid"], "${DS_PROMETHEUS}",
            "{what} uses the imported datasource"
        );
    };
    let mut ids = BTreeSet::new();
    let mut placed: Vec<(String, [u64; 4])> = Vec::new();
    for panel in panels(&dashboard) {
        let title = panel["title"].as_str().expect("a panel title").to_string();
        assert!(
            ids.insert(panel["id"].as_u64().expect("a panel id")),
            "panel {title}: its id is taken"
        );
        let grid = &panel["gridPos"];
        let [x, y, w, h] = ["x", "y", "w", "h"].map(|key| {
            grid[key]
                .as_u64()
                .unwrap_or_else(|| panic!("panel {title}: gridPos.{key}"))
        });
        assert!(w > 0 && h > 0 && x + w <= 24, "panel {title}: {grid}");
        for (other, rectangle) in &placed {
            let [ox, oy, ow, oh] = *rectangle;
            assert!(
                x >= ox + ow || ox >= x + w || y >= oy + oh || oy >= y + h,
                "panels {other} and {title} overlap"
            );
        }
        placed.push((title.clone(), [x, y, w, h]));
        if panel["type"] == "row" {
            continue;
        }
        assert!(
            !panel["description"].as_str().unwrap_or("").is_empty(),
            "panel {title} says what it shows"
        );
        prometheus(panel, &format!("panel {title}"));
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "panel {title} queries something");
        for target in targets {
            prometheus(target, &format!("a target of panel {title}"));
        }
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        prometheus(variable, &format!("variable {}", variable["name"]));
    }
}

#[test]
fn the_dashboard_shows_every_metric_the_server_exports() {
    let dashboard = dashboard();
    let mut shown = BTreeSet::new();
    for (_, expression) in dashboard_expressions(&dashboard) {
        for selector in parse_promql(&expression).unwrap().selectors {
            if let Some((metric, _)) = resolve(&selector.metric) {
                shown.insert(metric.name);
            }
        }
    }
    let missing: Vec<_> = METRICS
        .iter()
        .map(|metric| metric.name)
        .filter(|name| !shown.contains(name))
        .collect();
    assert!(missing.is_empty(), "not on the dashboard: {missing:?}");
}

// --- Series the server exports ----------------------------------------------------------------

#[test]
fn the_rules_their_tests_and_the_dashboard_query_only_what_the_server_exports() {
    let mut problems = Vec::new();
    let rules = yaml_values(&read(RULES), "expr");
    assert_eq!(
        rules.len(),
        yaml_values(&read(RULES), "alert").len(),
        "an expr read for every alert of {RULES}"
    );
    for expression in &rules {
        problems.extend(check_query(expression, RULES));
    }
    let series = yaml_values(&read(RULE_TESTS), "series");
    assert!(series.len() >= 10, "input series read from {RULE_TESTS}");
    for selector in &series {
        problems.extend(check_query(selector, RULE_TESTS));
    }
    let dashboard = dashboard();
    for (place, expression) in dashboard_expressions(&dashboard) {
        problems.extend(check_query(&expression, &format!("{DASHBOARD}, {place}")));
    }
    for (place, selector, label) in dashboard_variable_queries(&dashboard) {
        let place = format!("{DASHBOARD}, {place}");
        problems.extend(check_query(&selector, &place));
        let query = parse_promql(&selector).unwrap();
        if !query.selectors.iter().all(|selector| {
            resolve(&selector.metric)
                .is_some_and(|(metric, suffix)| allows_label(metric, suffix, &label))
        }) {
            problems.push(format!("{place}: label `{label}` is not on {selector}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The exported metric a series name belongs to, with the histogram suffix it carries; `None`
/// for Prometheus's own series.
fn resolve(name: &str) -> Option<(&'static Metric, &'static str)> {
    if let Some(metric) = METRICS
        .iter()
        .find(|metric| metric.name == name && metric.kind != Kind::Histogram)
    {
        return Some((metric, ""));
    }
    ["_bucket", "_sum", "_count"]
        .into_iter()
        .find_map(|suffix| {
            let base = name.strip_suffix(suffix)?;
            METRICS
                .iter()
                .find(|metric| metric.name == base && metric.kind == Kind::Histogram)
                .map(|metric| (metric, suffix))
        })
}

fn allows_label(metric: &Metric, suffix: &str, label: &str) -> bool {
    TARGET_LABELS.contains(&label)
        || (suffix == "_bucket" && label == "le")
        || metric.labels.iter().any(|(name, _)| *name == label)
}

/// What is wrong with the series `expression` (found in `place`) selects and the labels it
/// groups by.
fn check_query(expression: &str, place: &str) -> Vec<String> {
    let query = match parse_promql(expression) {
        Ok(query) => query,
        Err(error) => return vec![format!("{place}: {error} in {expression}")],
    };
    let mut problems = Vec::new();
    if query.selectors.is_empty() {
        problems.push(format!("{place}: no series in {expression}"));
    }
    let mut grouping_allowed: BTreeSet<&str> = TARGET_LABELS.iter().copied().collect();
    grouping_allowed.insert("le");
    let mut any_label = false;
    for selector in &query.selectors {
        let name = &selector.metric;
        if PROMETHEUS_SERIES.contains(&name.as_str()) {
            any_label = true;
            continue;
        }
        let Some((metric, suffix)) = resolve(name) else {
            problems.push(format!(
                "{place}: `{name}` is not a series the server exports"
            ));
            continue;
        };
        grouping_allowed.extend(metric.labels.iter().map(|(label, _)| *label));
        for (label, operator, value) in &selector.matchers {
            if !allows_label(metric, suffix, label) {
                problems.push(format!("{place}: `{name}` has no label `{label}`"));
                continue;
            }
            let known = metric
                .labels
                .iter()
                .find(|(name, _)| name == label)
                .map_or(&[][..], |(_, values)| *values);
            let literal = value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '|');
            let alternatives: Vec<&str> = match operator.as_str() {
                "=" | "!=" => vec![value.as_str()],
                _ if literal => value.split('|').collect(),
                _ => vec![],
            };
            for alternative in alternatives {
                if !known.is_empty() && !known.contains(&alternative) {
                    problems.push(format!(
                        "{place}: `{name}{{{label}{operator}\"{value}\"}}`: `{label}` is one of {known:?}"
                    ));
                }
            }
        }
    }
    if !any_label {
        for label in &query.grouping {
            if !grouping_allowed.contains(label.as_str()) {
                problems.push(format!(
                    "{place}: groups by `{label}`, a label of none of its series: {expression}"
                ));
            }
        }
    }
    problems
}

// --- Reading PromQL ---------------------------------------------------------------------------

/// A label matcher: label, operator, value.
type Matcher = (String, String, String);

/// A series selector: a metric name and its label matchers.
#[derive(Debug, PartialEq)]
struct Selector {
    metric: String,
    matchers: Vec<Matcher>,
}

/// The series an expression selects and the labels it names in `by`, `without`, `on`,
/// `ignoring`, `group_left` and `group_right`.
#[derive(Debug, Default, PartialEq)]
struct Query {
    selectors: Vec<Selector>,
    grouping: Vec<String>,
}

const GROUPING: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
/// Words that never name a series: operators, modifiers, numbers, and the aggregations, which
/// may be followed by `by (…)` rather than their parenthesis.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "atan2",
    "inf",
    "nan",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Reads the series and labels out of PromQL (Grafana's `$variables` allowed): enough to
/// check names, not a parser of the whole language (promtool checks that).
fn parse_promql(expression: &str) -> Result<Query, String> {
    let chars: Vec<char> = expression.chars().collect();
    let mut query = Query::default();
    // A name read that is neither a function nor a keyword: a metric, unless `{` follows.
    let mut metric: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            let (matchers, end) = matchers(&chars, i + 1)?;
            let Some(name) = metric.take() else {
                return Err("a selector without a metric name".to_string());
            };
            query.selectors.push(Selector {
                metric: name,
                matchers,
            });
            i = end;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(name) = metric.take() {
            query.selectors.push(Selector {
                metric: name,
                matchers: Vec::new(),
            });
        }
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' | '`' => i = string(&chars, i)?.1,
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                i += 1;
            }
            '$' => {
                i += 1;
                if chars.get(i) == Some(&'{') {
                    while i < chars.len() && chars[i] != '}' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    while i < chars.len() && is_name(chars[i]) {
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_digit() || c == '.' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
            }
            c if is_name_start(c) => {
                let start = i;
                while i < chars.len() && is_name(chars[i]) {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                let mut next = i;
                while next < chars.len() && chars[next].is_whitespace() {
                    next += 1;
                }
                let parenthesis = chars.get(next) == Some(&'(');
                if GROUPING.contains(&name.as_str()) {
                    if parenthesis {
                        let end = chars[next..]
                            .iter()
                            .position(|&c| c == ')')
                            .ok_or("an unclosed label list")?;
                        let labels: String = chars[next + 1..next + end].iter().collect();
                        query.grouping.extend(
                            labels
                                .split(',')
                                .map(str::trim)
                                .filter(|label| !label.is_empty())
                                .map(String::from),
                        );
                        i = next + end + 1;
                    }
                } else if !parenthesis && !KEYWORDS.contains(&name.to_lowercase().as_str()) {
                    metric = Some(name);
                }
            }
            _ => i += 1,
        }
    }
    if let Some(name) = metric {
        query.selectors.push(Selector {
            metric: name,
            matchers: Vec::new(),
        });
    }
    Ok(query)
}

/// The quoted string starting at `start`, unescaped, and the index after it.
fn string(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if quote != '`' && i + 1 < chars.len() => {
                value.push(chars[i + 1]);
                i += 2;
            }
            c if c == quote => return Ok((value, i + 1)),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err("an unclosed string".to_string())
}

/// The label matchers of a selector from `start` (after its `{`) and the index after its `}`.
fn matchers(chars: &[char], start: usize) -> Result<(Vec<Matcher>, usize), String> {
    let mut matchers = Vec::new();
    let mut i = start;
    loop {
        while i < chars.len() && (chars[i].is_whitespace() || chars[i] == ',') {
            i += 1;
        }
        match chars.get(i) {
            None => return Err("an unclosed selector".to_string()),
            Some('}') => return Ok((matchers, i + 1)),
            Some(_) => {}
        }
        let label_start = i;
        while i < chars.len() && is_name(chars[i]) {
            i += 1;
        }
        let label: String = chars[label_start..i].iter().collect();
        if label.is_empty() {
            return Err(format!("a label name expected at {label_start}"));
        }
        if label == "__name__" {
            return Err("a metric named by __name__ (name it before the `{`)".to_string());
        }
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let operator = ["=~", "!~", "!=", "="]
            .into_iter()
            .find(|operator| chars[i..].starts_with(&operator.chars().collect::<Vec<_>>()))
            .ok_or_else(|| format!("a matcher operator expected after `{label}`"))?;
        i += operator.len();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if !matches!(chars.get(i), Some('"' | '\'' | '`')) {
            return Err(format!("a quoted value expected for `{label}`"));
        }
        let (value, end) = string(chars, i)?;
        matchers.push((label, operator.to_string(), value));
        i = end;
    }
}

#[test]
fn series_and_labels_are_read_out_of_promql() {
    let query = parse_promql(
        r#"histogram_quantile(0.99, sum without (instance) (rate(contrail_http_request_duration_seconds_bucket{job="$job", route!="unmatched"}[$__rate_interval]))) > 2
           and on (job) # a comment naming not_a_metric
           sum by (route) (rate(contrail_http_requests_total{status=~"5.."}[5m] offset 1h)) * 3600
           unless up == bool 0 or vector(1) / count without (alertname) (ALERTS)"#,
    )
    .unwrap();
    let selected: Vec<(&str, usize)> = query
        .selectors
        .iter()
        .map(|selector| (selector.metric.as_str(), selector.matchers.len()))
        .collect();
    assert_eq!(
        selected,
        [
            ("contrail_http_request_duration_seconds_bucket", 2),
            ("contrail_http_requests_total", 1),
            ("up", 0),
            ("ALERTS", 0),
        ]
    );
    assert_eq!(
        query.selectors[0].matchers[1],
        ("route".into(), "!=".into(), "unmatched".into())
    );
    assert_eq!(query.grouping, ["instance", "job", "route", "alertname"]);

    assert_eq!(
        check_query(r#"contrail_outbox_depth{job="contrail"}"#, "t"),
        Vec::<String>::new()
    );
    let problems = |expression| check_query(expression, "t").len();
    assert_eq!(problems("contrail_outbox_dept"), 1, "an unknown metric");
    assert_eq!(
        problems("contrail_db_statement_duration_seconds"),
        1,
        "a histogram's base name"
    );
    assert_eq!(
        problems("contrail_outbox_depth_count"),
        1,
        "a suffix on a gauge"
    );
    assert_eq!(
        problems(r#"contrail_checkouts_total{outcome="payed"}"#),
        1,
        "a value out of its set"
    );
    assert_eq!(
        problems(r#"contrail_checkouts_total{outcome=~"paid|gone"}"#),
        1
    );
    assert_eq!(
        problems(r#"contrail_checkouts_total{status="paid"}"#),
        1,
        "another metric's label"
    );
    assert_eq!(
        problems(r#"sum by (listing) (contrail_outbox_depth)"#),
        1,
        "grouping by a label it lacks"
    );
    assert_eq!(
        problems(r#"contrail_db_statements_per_request_bucket{le="+Inf", env="x"}"#),
        0
    );
    assert_eq!(problems(r#"{__name__="up"}"#), 1);
    assert_eq!(
        without_grafana_variables(r#"rate(x{a="$job", b=~"${instance}"}[$__rate_interval])"#),
        r#"rate(x{a="x", b=~"x"}[5m])"#
    );
}
