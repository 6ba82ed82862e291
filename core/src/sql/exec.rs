//! SELECT: binding against a schema into a [`QueryPlan`], and running a plan over the store's
//! tables (current rows, or rows as of a past position).
//!
//! Invariants: the whole `WHERE` condition is evaluated on every candidate row (the access
//! path only narrows candidates, see [`super::plan`]); a query holds at most
//! `SQL_RESULT_ROWS_MAX` rows; without `ORDER BY`, rows come in key or index order.

use std::cmp::Ordering;
use std::ops::Bound as RangeBound;
use std::sync::Arc;

use redb::ReadableTable;

use super::Failure;
use super::ast::{AtClause, ColumnName, Expr, OrderItem, OrderKey, Select, SelectItem};
use super::expr::{self, Bound, eval, truth};
use super::plan::{self, Access, KeyAccess};
use super::schema::{Schema, TableDef};
use super::store::{self, Bytes, StoreResult, Tables};
use super::value::{ColumnType, Value, parse_timestamp};
use crate::limits;

/// A result column: its name and static type (`None` when unknown, e.g. a NULL literal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    /// The column name, or the alias, or the expression's text.
    pub name: String,
    /// The type, when known statically.
    pub column_type: Option<ColumnType>,
}

/// A bound SELECT, ready to run with parameters.
#[derive(Debug, Clone)]
pub(crate) struct QueryPlan {
    pub(crate) table: Option<Arc<TableDef>>,
    pub(crate) columns: Vec<ResultColumn>,
    /// `None` for `COUNT(*)`.
    outputs: Option<Vec<Bound>>,
    filter: Option<Bound>,
    order: Vec<SortKey>,
    limit: Option<Bound>,
    offset: Option<Bound>,
    pub(crate) access: Access,
    has_subquery: bool,
}

#[derive(Debug, Clone)]
struct SortKey {
    key: SortExpr,
    descending: bool,
    nulls_first: bool,
}

#[derive(Debug, Clone)]
enum SortExpr {
    Output(usize),
    Expr(Bound),
}

/// Rows found by a plan, with each row's version (the position that last wrote it).
pub(crate) struct Found {
    pub(crate) rows: Vec<Vec<Value>>,
    pub(crate) versions: Vec<u64>,
}

/// What a query reads: the tables, the schema, parameters, and the exclusive end of the log
/// prefix to read as of (`None`: the current rows).
pub(crate) struct Ctx<'a, T> {
    pub(crate) tables: &'a Tables<T>,
    pub(crate) schema: &'a Schema,
    pub(crate) params: &'a [Value],
    pub(crate) end: Option<u64>,
}

fn bind_err(e: expr::BindError) -> Failure {
    Failure::Invalid(e.0)
}

fn eval_err(e: expr::EvalError) -> Failure {
    Failure::Invalid(e.0)
}

/// The exclusive log end a time-travel clause names; `applied` is the projection's end.
pub(crate) fn resolve_at<T: ReadableTable<Bytes, Bytes>>(
    at: &AtClause,
    tables: &Tables<T>,
    params: &[Value],
    applied: u64,
) -> Result<u64, Failure> {
    let (expr, timestamp) = match at {
        AtClause::Position(e) => (e, false),
        AtClause::Timestamp(e) => (e, true),
    };
    let bound = expr::bind(expr, None).map_err(bind_err)?;
    let value = eval(&bound, &[], params).map_err(eval_err)?;
    if !timestamp {
        let Value::Integer(position) = value else {
            return Err(Failure::Invalid(format!(
                "AT POSITION needs an integer, not {value}"
            )));
        };
        let position = u64::try_from(position)
            .map_err(|_| Failure::Invalid(format!("negative position {position}")))?;
        if position >= applied {
            return Err(Failure::OutOfRange(format!(
                "position {position} is beyond the log (last position {})",
                applied.saturating_sub(1)
            )));
        }
        return Ok(position + 1);
    }
    let us = match value {
        Value::Timestamp(us) => us,
        Value::Text(text) => {
            parse_timestamp(&text).ok_or_else(|| Failure::Invalid(format!("timestamp '{text}'")))?
        }
        Value::Integer(us) => us,
        other => {
            return Err(Failure::Invalid(format!(
                "AS OF TIMESTAMP needs a timestamp, not {other}"
            )));
        }
    };
    match u64::try_from(us) {
        Ok(us) => Ok(tables.end_at_timestamp(us)?),
        Err(_) => Ok(0),
    }
}

/// Binds a SELECT against `schema` (the table live at `end`, or the current one).
pub(crate) fn bind_select(
    select: &Select,
    schema: &Schema,
    end: Option<u64>,
) -> Result<QueryPlan, Failure> {
    let table = match &select.from {
        None => None,
        Some(name) => {
            let found = match end {
                Some(end) => schema.table_at(name, end),
                None => schema.table(name),
            };
            Some(
                found
                    .cloned()
                    .ok_or_else(|| Failure::Invalid(format!("no table {name}")))?,
            )
        }
    };
    let t = table.as_deref();
    let (columns, outputs) = bind_items(&select.items, t)?;
    let filter = select
        .filter
        .as_ref()
        .map(|f| bind_condition(f, t))
        .transpose()?;
    let order = bind_order(&select.order_by, &columns, t)?;
    let constant = |e: &Option<Expr>| -> Result<Option<Bound>, Failure> {
        e.as_ref()
            .map(|e| expr::bind(e, None).map_err(bind_err))
            .transpose()
    };
    let access = match t {
        Some(t) => plan::choose(t, filter.as_ref()),
        None => Access::Scan,
    };
    let has_subquery = filter.as_ref().is_some_and(contains_subquery);
    Ok(QueryPlan {
        table,
        columns,
        outputs,
        filter,
        order,
        limit: constant(&select.limit)?,
        offset: constant(&select.offset)?,
        access,
        has_subquery,
    })
}

/// Binds a condition and checks that it is boolean.
pub(crate) fn bind_condition(filter: &Expr, table: Option<&TableDef>) -> Result<Bound, Failure> {
    let bound = expr::bind(filter, table).map_err(bind_err)?;
    match expr::infer(&bound, table).map_err(bind_err)? {
        None | Some(ColumnType::Boolean) => Ok(bound),
        Some(t) => Err(Failure::Invalid(format!(
            "WHERE needs a boolean condition, not {}",
            t.name()
        ))),
    }
}

type BoundItems = (Vec<ResultColumn>, Option<Vec<Bound>>);

/// Binds ORDER BY keys: result positions, result aliases, or expressions over the table.
fn bind_order(
    items: &[OrderItem],
    columns: &[ResultColumn],
    t: Option<&TableDef>,
) -> Result<Vec<SortKey>, Failure> {
    let mut order = Vec::with_capacity(items.len());
    for item in items {
        let key = match &item.key {
            OrderKey::Position(p) if *p <= columns.len() => SortExpr::Output(p - 1),
            OrderKey::Position(p) => {
                return Err(Failure::Invalid(format!(
                    "ORDER BY position {p} is not a result column"
                )));
            }
            OrderKey::Expr(Expr::Column(ColumnName { table: None, name }))
                if t.is_none_or(|t| t.column(name).is_none())
                    && columns.iter().any(|c| c.name == *name) =>
            {
                SortExpr::Output(
                    columns
                        .iter()
                        .position(|c| c.name == *name)
                        .unwrap_or_default(),
                )
            }
            OrderKey::Expr(e) => SortExpr::Expr(expr::bind(e, t).map_err(bind_err)?),
        };
        order.push(SortKey {
            key,
            descending: item.descending,
            nulls_first: item.nulls_first.unwrap_or(!item.descending),
        });
    }
    Ok(order)
}

fn bind_items(items: &[SelectItem], table: Option<&TableDef>) -> Result<BoundItems, Failure> {
    if let [SelectItem::CountStar { name }] = items {
        let column = ResultColumn {
            name: name.clone(),
            column_type: Some(ColumnType::Integer),
        };
        return Ok((vec![column], None));
    }
    let (mut columns, mut outputs) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            SelectItem::Wildcard => {
                let Some(table) = table else {
                    return Err(Failure::Invalid("SELECT * needs FROM".into()));
                };
                for (i, c) in table.columns.iter().enumerate() {
                    columns.push(ResultColumn {
                        name: c.name.clone(),
                        column_type: Some(c.column_type),
                    });
                    outputs.push(Expr::Column(i));
                }
            }
            SelectItem::Expr { expr: e, name } => {
                let bound = expr::bind(e, table).map_err(bind_err)?;
                if contains_subquery(&bound) {
                    return Err(Failure::Unsupported("subquery in the select list".into()));
                }
                columns.push(ResultColumn {
                    name: name.clone(),
                    column_type: expr::infer(&bound, table).map_err(bind_err)?,
                });
                outputs.push(bound);
            }
            SelectItem::CountStar { .. } => {
                return Err(Failure::Unsupported(
                    "COUNT(*) next to other result columns (that needs GROUP BY)".into(),
                ));
            }
        }
    }
    if columns.len() > limits::SQL_COLUMNS_MAX {
        return Err(Failure::Invalid(format!(
            "more than {} result columns",
            limits::SQL_COLUMNS_MAX
        )));
    }
    Ok((columns, Some(outputs)))
}

fn contains_subquery(e: &Bound) -> bool {
    match e {
        Expr::InSelect(..) => true,
        Expr::Column(_) | Expr::Literal(_) | Expr::Param(_) => false,
        Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) => contains_subquery(e),
        Expr::Binary(_, l, r) => contains_subquery(l) || contains_subquery(r),
        Expr::And(items) | Expr::Or(items) => items.iter().any(contains_subquery),
        Expr::InList(e, list, _) => contains_subquery(e) || list.iter().any(contains_subquery),
        Expr::Between(e, l, h, _) => {
            contains_subquery(e) || contains_subquery(l) || contains_subquery(h)
        }
    }
}

/// Runs a query plan.
pub(crate) fn run<T: ReadableTable<Bytes, Bytes>>(
    plan: &QueryPlan,
    ctx: &Ctx<'_, T>,
) -> Result<Found, Failure> {
    let filter = match (&plan.filter, plan.has_subquery) {
        (Some(f), true) => Some(materialize(f, ctx, 0)?),
        (f, false) => f.clone(),
        (None, true) => None,
    };
    let limit = count_value(plan.limit.as_ref(), ctx.params, "LIMIT")?;
    let offset = count_value(plan.offset.as_ref(), ctx.params, "OFFSET")?.unwrap_or(0);
    // Without ORDER BY, stop once OFFSET + LIMIT rows matched.
    let stop = match (plan.order.is_empty(), plan.outputs.is_some(), limit) {
        (true, true, Some(limit)) => Some(offset.saturating_add(limit)),
        _ => None,
    };
    let mut matched: Vec<(Vec<Value>, u64)> = Vec::new();
    let mut count = 0u64;
    let mut keep = |row: Vec<Value>, version: u64| -> Result<bool, Failure> {
        if let Some(f) = &filter
            && truth(&eval(f, &row, ctx.params).map_err(eval_err)?).map_err(eval_err)? != Some(true)
        {
            return Ok(true);
        }
        count += 1;
        if plan.outputs.is_some() {
            if matched.len() >= limits::SQL_RESULT_ROWS_MAX {
                return Err(Failure::Limit(format!(
                    "more than {} rows (use LIMIT and OFFSET)",
                    limits::SQL_RESULT_ROWS_MAX
                )));
            }
            matched.push((row, version));
        }
        Ok(stop.is_none_or(|stop| (matched.len() as u64) < stop))
    };
    match &plan.table {
        None => {
            keep(Vec::new(), 0)?;
        }
        Some(table) => candidates(table, &plan.access, ctx, &mut keep)?,
    }
    let Some(outputs) = &plan.outputs else {
        let rows = vec![vec![Value::Integer(count as i64)]];
        return Ok(page(
            Found {
                versions: vec![0],
                rows,
            },
            offset,
            limit,
        ));
    };
    if !plan.order.is_empty() {
        sort(&mut matched, &plan.order, outputs, ctx.params)?;
    }
    project(matched, outputs, ctx.params, offset, limit)
}

/// The result columns of the rows in `OFFSET`..`OFFSET + LIMIT`.
fn project(
    matched: Vec<(Vec<Value>, u64)>,
    outputs: &[Bound],
    params: &[Value],
    offset: u64,
    limit: Option<u64>,
) -> Result<Found, Failure> {
    let mut found = Found {
        rows: Vec::with_capacity(matched.len()),
        versions: Vec::with_capacity(matched.len()),
    };
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(matched.len());
    let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    for (row, version) in matched.into_iter().skip(start).take(take) {
        let out = outputs
            .iter()
            .map(|o| eval(o, &row, params))
            .collect::<Result<Vec<_>, _>>()
            .map_err(eval_err)?;
        found.rows.push(out);
        found.versions.push(version);
    }
    Ok(found)
}

fn page(mut found: Found, offset: u64, limit: Option<u64>) -> Found {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(found.rows.len());
    let end = limit.map_or(found.rows.len(), |l| {
        start.saturating_add(l as usize).min(found.rows.len())
    });
    found.rows = found.rows[start..end].to_vec();
    found.versions = found.versions[start..end].to_vec();
    found
}

fn count_value(e: Option<&Bound>, params: &[Value], what: &str) -> Result<Option<u64>, Failure> {
    let Some(e) = e else { return Ok(None) };
    match eval(e, &[], params).map_err(eval_err)? {
        Value::Integer(n) if n >= 0 => Ok(Some(n as u64)),
        Value::Null => Ok(None),
        other => Err(Failure::Invalid(format!(
            "{what} needs a non-negative integer, not {other}"
        ))),
    }
}

fn sort(
    rows: &mut [(Vec<Value>, u64)],
    order: &[SortKey],
    outputs: &[Bound],
    params: &[Value],
) -> Result<(), Failure> {
    let mut keyed: Vec<(Vec<Value>, usize)> = Vec::with_capacity(rows.len());
    for (i, (row, _)) in rows.iter().enumerate() {
        let mut keys = Vec::with_capacity(order.len());
        for key in order {
            let e = match &key.key {
                SortExpr::Output(o) => &outputs[*o],
                SortExpr::Expr(e) => e,
            };
            keys.push(eval(e, row, params).map_err(eval_err)?);
        }
        keyed.push((keys, i));
    }
    keyed.sort_by(|(a, _), (b, _)| {
        for ((x, y), key) in a.iter().zip(b).zip(order) {
            let ordering = match (x.is_null(), y.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => {
                    if key.nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (false, true) => {
                    if key.nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (false, false) if key.descending => x.sort_cmp(y).reverse(),
                (false, false) => x.sort_cmp(y),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
    let sorted: Vec<(Vec<Value>, u64)> = keyed.iter().map(|(_, i)| rows[*i].clone()).collect();
    rows.clone_from_slice(&sorted);
    Ok(())
}

/// Replaces each `x IN (SELECT ...)` by `x IN (values)`, running the subquery once.
fn materialize<T: ReadableTable<Bytes, Bytes>>(
    e: &Bound,
    ctx: &Ctx<'_, T>,
    depth: usize,
) -> Result<Bound, Failure> {
    if depth > limits::SQL_EXPRESSION_DEPTH_MAX {
        return Err(Failure::Invalid("expression too deep".into()));
    }
    let m = |x: &Bound| materialize(x, ctx, depth + 1).map(Box::new);
    Ok(match e {
        Expr::InSelect(x, select, negated) => {
            if select.at.is_some() {
                return Err(Failure::Unsupported("time travel inside a subquery".into()));
            }
            let plan = bind_select(select, ctx.schema, ctx.end)?;
            if plan.columns.len() != 1 || plan.outputs.is_none() {
                return Err(Failure::Invalid(
                    "a subquery after IN returns exactly one column".into(),
                ));
            }
            let found = run(&plan, ctx)?;
            let values = found
                .rows
                .into_iter()
                .map(|mut r| Expr::Literal(r.remove(0)))
                .collect();
            Expr::InList(m(x)?, values, *negated)
        }
        Expr::Column(_) | Expr::Literal(_) | Expr::Param(_) => e.clone(),
        Expr::Neg(x) => Expr::Neg(m(x)?),
        Expr::Not(x) => Expr::Not(m(x)?),
        Expr::Binary(op, l, r) => Expr::Binary(*op, m(l)?, m(r)?),
        Expr::And(items) => Expr::And(materialize_all(items, ctx, depth)?),
        Expr::Or(items) => Expr::Or(materialize_all(items, ctx, depth)?),
        Expr::IsNull(x, n) => Expr::IsNull(m(x)?, *n),
        Expr::InList(x, list, n) => {
            let list = list
                .iter()
                .map(|i| materialize(i, ctx, depth + 1))
                .collect::<Result<_, _>>()?;
            Expr::InList(m(x)?, list, *n)
        }
        Expr::Between(x, l, h, n) => Expr::Between(m(x)?, m(l)?, m(h)?, *n),
    })
}

fn materialize_all<T: ReadableTable<Bytes, Bytes>>(
    items: &[Bound],
    ctx: &Ctx<'_, T>,
    depth: usize,
) -> Result<Vec<Bound>, Failure> {
    items
        .iter()
        .map(|i| materialize(i, ctx, depth + 1))
        .collect()
}

type Keep<'k> = dyn FnMut(Vec<Value>, u64) -> Result<bool, Failure> + 'k;

/// Feeds candidate rows of `table` to `keep` until it returns false.
pub(crate) fn candidates<T: ReadableTable<Bytes, Bytes>>(
    table: &TableDef,
    access: &Access,
    ctx: &Ctx<'_, T>,
    keep: &mut Keep<'_>,
) -> Result<(), Failure> {
    let mut failure = None;
    let mut feed = |_: &[u8], version: u64, row: Vec<Value>| -> StoreResult<bool> {
        match keep(row, version) {
            Ok(go) => Ok(go),
            Err(f) => {
                failure = Some(f);
                Ok(false)
            }
        }
    };
    let table_prefix = table.id.to_be_bytes();
    match (ctx.end, access) {
        (Some(end), Access::Key(key)) if key.is_points() => {
            for point in key_points(table, key, ctx.params)? {
                if let Some((version, row)) = ctx.tables.row_at(table, &point, end)?
                    && !feed(&point, version, row)?
                {
                    break;
                }
            }
        }
        (Some(end), _) => ctx.tables.scan_at(table, end, feed)?,
        (None, Access::Scan) => {
            ctx.tables
                .scan_rows(table, &store::prefix_range(&table_prefix), feed)?;
        }
        (None, Access::Key(key)) if key.is_points() => {
            for point in key_points(table, key, ctx.params)? {
                if let Some((version, row)) = ctx.tables.row(table, &point)?
                    && !feed(&point, version, row)?
                {
                    break;
                }
            }
        }
        (None, Access::Key(key)) => {
            for range in key_ranges(table, &table_prefix, key, ctx.params)? {
                ctx.tables.scan_rows(table, &range, &mut feed)?;
            }
        }
        (None, Access::Index(index, key)) => {
            for range in key_ranges(table, &index.id.to_be_bytes(), key, ctx.params)? {
                let mut go = true;
                ctx.tables.scan_index(&range, |k, stored| {
                    let found = match stored {
                        Some(stored) => Some(store::decode_stored(stored, table)?),
                        None => ctx.tables.row(table, k)?,
                    };
                    if let Some((version, row)) = found {
                        go = feed(k, version, row)?;
                    }
                    Ok(go)
                })?;
                if !go {
                    break;
                }
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// The full row keys (`table_id || key`) of a point access, deduplicated.
fn key_points(
    table: &TableDef,
    key: &KeyAccess,
    params: &[Value],
) -> Result<Vec<Vec<u8>>, Failure> {
    let prefix = table.id.to_be_bytes();
    let mut points = prefixes(table, &prefix, key, params)?;
    points.sort();
    points.dedup();
    Ok(points)
}

/// Encoded prefixes for every combination of fixed values (none if a value cannot match).
fn prefixes(
    table: &TableDef,
    start: &[u8],
    key: &KeyAccess,
    params: &[Value],
) -> Result<Vec<Vec<u8>>, Failure> {
    let mut out = vec![start.to_vec()];
    for (values, &(column, desc)) in key.fixed.iter().zip(&key.columns) {
        let column_type = table.columns[column].column_type;
        let mut encoded = Vec::with_capacity(values.len());
        for v in values {
            let v = eval(v, &[], params).map_err(eval_err)?;
            if let Some(exact) = exact_key_value(&v, column_type).map_err(eval_err)? {
                let mut bytes = Vec::new();
                super::value::encode_key(&exact, desc, &mut bytes);
                encoded.push(bytes);
            }
        }
        if out.len().saturating_mul(encoded.len()) > limits::SQL_IN_LIST_MAX {
            return Err(Failure::Limit(format!(
                "more than {} key combinations",
                limits::SQL_IN_LIST_MAX
            )));
        }
        out = out
            .iter()
            .flat_map(|p| encoded.iter().map(move |e| [p.as_slice(), e].concat()))
            .collect();
    }
    Ok(out)
}

type ByteRange = (RangeBound<Vec<u8>>, RangeBound<Vec<u8>>);

/// Byte ranges covering a key access with a range on its next column.
fn key_ranges(
    table: &TableDef,
    start: &[u8],
    key: &KeyAccess,
    params: &[Value],
) -> Result<Vec<ByteRange>, Failure> {
    let mut ranges = Vec::new();
    let mut prefixes = prefixes(table, start, key, params)?;
    prefixes.sort();
    prefixes.dedup();
    for prefix in prefixes {
        let Some(range) = &key.range else {
            ranges.push(store::prefix_range(&prefix));
            continue;
        };
        let &(column, desc) = &key.columns[key.fixed.len()];
        let column_type = table.columns[column].column_type;
        let bound = |b: &Option<(Bound, bool)>,
                     low: bool|
         -> Result<Option<Option<(Value, bool)>>, Failure> {
            let Some((e, inclusive)) = b else {
                return Ok(Some(None));
            };
            let v = eval(e, &[], params).map_err(eval_err)?;
            Ok(range_key_value(&v, column_type, low, *inclusive)
                .map_err(eval_err)?
                .map(Some))
        };
        let (Some(low), Some(high)) = (bound(&range.low, true)?, bound(&range.high, false)?) else {
            continue; // a NULL bound matches nothing
        };
        let (first, last) = if desc { (high, low) } else { (low, high) };
        let encode = |v: &Value| {
            let mut bytes = prefix.clone();
            super::value::encode_key(v, desc, &mut bytes);
            bytes
        };
        let lower = match first {
            None => RangeBound::Included(prefix.clone()),
            Some((v, true)) => RangeBound::Included(encode(&v)),
            Some((v, false)) => {
                store::prefix_end(&encode(&v)).map_or(RangeBound::Unbounded, RangeBound::Included)
            }
        };
        let upper = match last {
            None => store::prefix_end(&prefix).map_or(RangeBound::Unbounded, RangeBound::Excluded),
            Some((v, true)) => {
                store::prefix_end(&encode(&v)).map_or(RangeBound::Unbounded, RangeBound::Excluded)
            }
            Some((v, false)) => RangeBound::Excluded(encode(&v)),
        };
        ranges.push((lower, upper));
    }
    Ok(ranges)
}

/// The value a key column must hold to equal `v`: `None` if no value of the column's type
/// can (NULL, a fraction for an integer column).
fn exact_key_value(v: &Value, column_type: ColumnType) -> Result<Option<Value>, expr::EvalError> {
    Ok(match (v, column_type) {
        (Value::Null, _) => None,
        (Value::Integer(i), ColumnType::Real) => Some(Value::Real(*i as f64))
            .filter(|r| r.sql_cmp(v).ok().flatten() == Some(Ordering::Equal)),
        (Value::Real(f), ColumnType::Integer) => {
            let i = *f as i64;
            (i as f64 == *f && f.fract() == 0.0 && f.abs() < 9.2e18).then_some(Value::Integer(i))
        }
        (Value::Real(f), ColumnType::Real) => Some(Value::Real(if *f == 0.0 { 0.0 } else { *f })),
        (Value::Text(t), ColumnType::Timestamp) if parse_timestamp(t).is_some() => {
            parse_timestamp(t).map(Value::Timestamp)
        }
        (v, t) if expr::literal_type(v).is_some_and(|vt| vt.comparable(t)) => Some(v.clone()),
        (v, t) => {
            return Err(expr::EvalError(format!(
                "cannot compare {} with {}",
                v.type_name(),
                t.name()
            )));
        }
    })
}

/// A range bound in the column's type, widened to an inclusive bound when the conversion is
/// inexact; `None` for a NULL bound (nothing matches).
fn range_key_value(
    v: &Value,
    column_type: ColumnType,
    low: bool,
    inclusive: bool,
) -> Result<Option<(Value, bool)>, expr::EvalError> {
    Ok(match (v, column_type) {
        (Value::Null, _) => None,
        (Value::Real(f), ColumnType::Integer) => {
            let rounded = if low { f.floor() } else { f.ceil() };
            let clamped = rounded.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
            Some((Value::Integer(clamped), true))
        }
        (Value::Integer(i), ColumnType::Real) => Some((Value::Real(*i as f64), true)),
        _ => exact_key_value(v, column_type)?.map(|v| (v, inclusive)),
    })
}
