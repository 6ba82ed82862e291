//! Expressions: binding names to column indices with static type checks, and evaluation with
//! SQL's three-valued logic.
//!
//! NULL semantics: arithmetic and comparisons with NULL give NULL; `AND` is false if either
//! side is false, else NULL if either is NULL; `OR` is true if either side is true, else NULL
//! if either is NULL; `x IN (list)` is true on a match, else NULL if `x` or any list value is
//! NULL, else false; `WHERE` keeps a row only when its condition is true. Integer division
//! truncates toward zero; division or modulo by zero gives NULL (as SQLite); integer overflow
//! is an error, never a wrapped value.
//!
//! Invariant: every walk over an expression recurses at most `SQL_EXPRESSION_DEPTH_MAX` deep,
//! which the parser guarantees.

use std::cmp::Ordering;

use super::ast::{BinaryOp, ColumnName, Expr};
use super::schema::TableDef;
use super::value::{ColumnType, TypeMismatch, Value, parse_timestamp};

/// A bound expression: columns are indices into the row.
pub(crate) type Bound = Expr<usize>;

/// A name or type error found while binding (the caller's input is wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BindError(pub(crate) String);

/// An error found while evaluating (a type or arithmetic error in the caller's input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EvalError(pub(crate) String);

impl From<TypeMismatch> for EvalError {
    fn from(m: TypeMismatch) -> EvalError {
        EvalError(format!("cannot compare {} with {}", m.left, m.right))
    }
}

/// Binds `expr` against the columns of `table` (or no table, for `SELECT` without `FROM`).
pub(crate) fn bind(expr: &Expr, table: Option<&TableDef>) -> Result<Bound, BindError> {
    let bound = bind_inner(expr, table)?;
    infer(&bound, table)?;
    Ok(bound)
}

fn bind_inner(expr: &Expr, table: Option<&TableDef>) -> Result<Bound, BindError> {
    let b = |e: &Expr| bind_inner(e, table).map(Box::new);
    Ok(match expr {
        Expr::Column(name) => Expr::Column(resolve(name, table)?),
        Expr::Literal(v) => Expr::Literal(v.clone()),
        Expr::Param(i) => Expr::Param(*i),
        Expr::Neg(e) => Expr::Neg(b(e)?),
        Expr::Not(e) => Expr::Not(b(e)?),
        Expr::Binary(op, l, r) => {
            let (mut l, mut r) = (b(l)?, b(r)?);
            if op.is_comparison() {
                coerce_pair(&mut l, &mut r, table);
            }
            Expr::Binary(*op, l, r)
        }
        Expr::And(items) => Expr::And(bind_all(items, table)?),
        Expr::Or(items) => Expr::Or(bind_all(items, table)?),
        Expr::IsNull(e, negated) => Expr::IsNull(b(e)?, *negated),
        Expr::InList(e, list, negated) => {
            let e = b(e)?;
            let mut bound = Vec::with_capacity(list.len());
            for item in list {
                let mut item = b(item)?;
                coerce_literal(&mut item, static_type(&e, table));
                bound.push(*item);
            }
            Expr::InList(e, bound, *negated)
        }
        Expr::Between(e, low, high, negated) => {
            let e = b(e)?;
            let (mut low, mut high) = (b(low)?, b(high)?);
            coerce_literal(&mut low, static_type(&e, table));
            coerce_literal(&mut high, static_type(&e, table));
            Expr::Between(e, low, high, *negated)
        }
        Expr::InSelect(e, select, negated) => Expr::InSelect(b(e)?, select.clone(), *negated),
    })
}

fn bind_all(items: &[Expr], table: Option<&TableDef>) -> Result<Vec<Bound>, BindError> {
    items.iter().map(|i| bind_inner(i, table)).collect()
}

fn resolve(name: &ColumnName, table: Option<&TableDef>) -> Result<usize, BindError> {
    let Some(table) = table else {
        return Err(BindError(format!("no column {} without FROM", name.name)));
    };
    if let Some(qualifier) = &name.table
        && *qualifier != table.name
    {
        return Err(BindError(format!(
            "no table {qualifier} in this query (did you mean {}?)",
            table.name
        )));
    }
    table
        .column(&name.name)
        .ok_or_else(|| BindError(format!("no column {} in table {}", name.name, table.name)))
}

/// Text literals compared with timestamps are read as timestamps.
fn coerce_pair(l: &mut Box<Bound>, r: &mut Box<Bound>, table: Option<&TableDef>) {
    let (lt, rt) = (static_type(l, table), static_type(r, table));
    coerce_literal(l, rt);
    coerce_literal(r, lt);
}

fn coerce_literal(expr: &mut Bound, target: Option<ColumnType>) {
    if let (Expr::Literal(Value::Text(text)), Some(ColumnType::Timestamp)) = (&*expr, target)
        && let Some(us) = parse_timestamp(text)
    {
        *expr = Expr::Literal(Value::Timestamp(us));
    }
}

fn static_type(expr: &Bound, table: Option<&TableDef>) -> Option<ColumnType> {
    infer(expr, table).ok().flatten()
}

fn numeric(t: Option<ColumnType>, what: &str) -> Result<Option<ColumnType>, BindError> {
    match t {
        None | Some(ColumnType::Integer | ColumnType::Real) => Ok(t),
        Some(t) => Err(BindError(format!("{what} needs numbers, not {}", t.name()))),
    }
}

fn boolean(t: Option<ColumnType>, what: &str) -> Result<(), BindError> {
    match t {
        None | Some(ColumnType::Boolean) => Ok(()),
        Some(t) => Err(BindError(format!(
            "{what} needs a boolean, not {}",
            t.name()
        ))),
    }
}

fn comparable(a: Option<ColumnType>, b: Option<ColumnType>) -> Result<(), BindError> {
    match (a, b) {
        (Some(a), Some(b)) if !a.comparable(b) => Err(BindError(format!(
            "cannot compare {} with {}",
            a.name(),
            b.name()
        ))),
        _ => Ok(()),
    }
}

/// The static type of a bound expression, `None` when unknown (NULL or a parameter); an error
/// for operands that can never be combined.
pub(crate) fn infer(
    expr: &Bound,
    table: Option<&TableDef>,
) -> Result<Option<ColumnType>, BindError> {
    let boolean_type = Some(ColumnType::Boolean);
    Ok(match expr {
        Expr::Column(i) => table.map(|t| t.columns[*i].column_type),
        Expr::Literal(v) => literal_type(v),
        Expr::Param(_) | Expr::InSelect(..) => None,
        Expr::Neg(e) => numeric(infer(e, table)?, "unary minus")?,
        Expr::Not(e) => {
            boolean(infer(e, table)?, "NOT")?;
            boolean_type
        }
        Expr::Binary(op, l, r) => {
            let (lt, rt) = (infer(l, table)?, infer(r, table)?);
            if op.is_arithmetic() {
                let (lt, rt) = (numeric(lt, "arithmetic")?, numeric(rt, "arithmetic")?);
                match (lt, rt) {
                    (Some(ColumnType::Integer), Some(ColumnType::Integer)) => {
                        Some(ColumnType::Integer)
                    }
                    (Some(_), Some(_)) => Some(ColumnType::Real),
                    _ => None,
                }
            } else {
                comparable(lt, rt)?;
                boolean_type
            }
        }
        Expr::And(items) | Expr::Or(items) => {
            for item in items {
                boolean(infer(item, table)?, "AND/OR")?;
            }
            boolean_type
        }
        Expr::IsNull(e, _) => {
            infer(e, table)?;
            boolean_type
        }
        Expr::InList(e, list, _) => {
            let t = infer(e, table)?;
            for item in list {
                comparable(t, infer(item, table)?)?;
            }
            boolean_type
        }
        Expr::Between(e, low, high, _) => {
            let t = infer(e, table)?;
            comparable(t, infer(low, table)?)?;
            comparable(t, infer(high, table)?)?;
            boolean_type
        }
    })
}

pub(crate) fn literal_type(v: &Value) -> Option<ColumnType> {
    Some(match v {
        Value::Null => return None,
        Value::Integer(_) => ColumnType::Integer,
        Value::Real(_) => ColumnType::Real,
        Value::Text(_) => ColumnType::Text { max_chars: None },
        Value::Boolean(_) => ColumnType::Boolean,
        Value::Bytes(_) => ColumnType::Bytes,
        Value::Timestamp(_) => ColumnType::Timestamp,
    })
}

/// Evaluates a bound expression over `row` with `params`.
pub(crate) fn eval(expr: &Bound, row: &[Value], params: &[Value]) -> Result<Value, EvalError> {
    let ev = |e: &Bound| eval(e, row, params);
    Ok(match expr {
        Expr::Column(i) => row[*i].clone(),
        Expr::Literal(v) => v.clone(),
        Expr::Param(i) => params
            .get(*i)
            .cloned()
            .ok_or_else(|| EvalError(format!("parameter {} is missing", i + 1)))?,
        Expr::Neg(e) => negate(ev(e)?)?,
        Expr::Not(e) => match truth(&ev(e)?)? {
            Some(b) => Value::Boolean(!b),
            None => Value::Null,
        },
        Expr::And(items) => chain(items, row, params, false)?,
        Expr::Or(items) => chain(items, row, params, true)?,
        Expr::Binary(op, l, r) if op.is_comparison() => {
            compare(*op, &ev(l)?, &ev(r)?)?.map_or(Value::Null, Value::Boolean)
        }
        Expr::Binary(op, l, r) => arithmetic(*op, ev(l)?, ev(r)?)?,
        Expr::IsNull(e, negated) => Value::Boolean(ev(e)?.is_null() != *negated),
        Expr::InList(e, list, negated) => {
            let v = ev(e)?;
            let mut found = in_list(&v, list.iter().map(ev))?;
            if *negated {
                found = found.map(|b| !b);
            }
            found.map_or(Value::Null, Value::Boolean)
        }
        Expr::Between(e, low, high, negated) => {
            let v = ev(e)?;
            let ge = compare(BinaryOp::GtEq, &v, &ev(low)?)?;
            let le = compare(BinaryOp::LtEq, &v, &ev(high)?)?;
            match logic(ge, || Ok(le), false)? {
                Value::Boolean(b) => Value::Boolean(b != *negated),
                other => other,
            }
        }
        Expr::InSelect(..) => {
            return Err(EvalError(
                "subquery was not materialized before evaluation".into(),
            ));
        }
    })
}

/// `x IN (values)` with NULL semantics.
pub(crate) fn in_list(
    v: &Value,
    values: impl Iterator<Item = Result<Value, EvalError>>,
) -> Result<Option<bool>, EvalError> {
    if v.is_null() {
        return Ok(None);
    }
    let mut saw_null = false;
    for item in values {
        match v.sql_cmp(&item?)? {
            Some(Ordering::Equal) => return Ok(Some(true)),
            None => saw_null = true,
            Some(_) => {}
        }
    }
    Ok(if saw_null { None } else { Some(false) })
}

/// AND (`short = false`) or OR (`short = true`) over a list in three-valued logic, stopping
/// at the first operand that decides.
fn chain(
    items: &[Bound],
    row: &[Value],
    params: &[Value],
    short: bool,
) -> Result<Value, EvalError> {
    let mut unknown = false;
    for item in items {
        match truth(&eval(item, row, params)?)? {
            Some(b) if b == short => return Ok(Value::Boolean(short)),
            Some(_) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown {
        Value::Null
    } else {
        Value::Boolean(!short)
    })
}

/// The truth value of a condition: NULL is unknown; anything but a boolean is an error.
pub(crate) fn truth(v: &Value) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Boolean(b) => Ok(Some(*b)),
        Value::Null => Ok(None),
        other => Err(EvalError(format!(
            "expected a boolean condition, found {}",
            other.type_name()
        ))),
    }
}

/// AND (`short = false`) or OR (`short = true`) in three-valued logic; the right side is
/// evaluated only when the left does not decide.
fn logic(
    left: Option<bool>,
    right: impl FnOnce() -> Result<Option<bool>, EvalError>,
    short: bool,
) -> Result<Value, EvalError> {
    if left == Some(short) {
        return Ok(Value::Boolean(short));
    }
    let right = right()?;
    Ok(match (left, right) {
        (_, Some(r)) if r == short => Value::Boolean(short),
        (Some(_), Some(_)) => Value::Boolean(!short),
        _ => Value::Null,
    })
}

/// A comparison; `None` when either side is NULL.
pub(crate) fn compare(op: BinaryOp, l: &Value, r: &Value) -> Result<Option<bool>, EvalError> {
    let Some(ordering) = l.sql_cmp(r)? else {
        return Ok(None);
    };
    Ok(Some(match op {
        BinaryOp::Eq => ordering == Ordering::Equal,
        BinaryOp::NotEq => ordering != Ordering::Equal,
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::LtEq => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        BinaryOp::GtEq => ordering != Ordering::Less,
        _ => unreachable!("only comparison operators reach compare"),
    }))
}

fn negate(v: Value) -> Result<Value, EvalError> {
    match v {
        Value::Null => Ok(Value::Null),
        Value::Integer(i) => i
            .checked_neg()
            .map(Value::Integer)
            .ok_or_else(|| EvalError("integer overflow".into())),
        Value::Real(f) => Ok(Value::Real(-f)),
        other => Err(EvalError(format!("cannot negate {}", other.type_name()))),
    }
}

fn arithmetic(op: BinaryOp, l: Value, r: Value) -> Result<Value, EvalError> {
    use Value::{Integer, Null, Real};
    let overflow = || EvalError("integer overflow".into());
    Ok(match (l, r) {
        (Null, _) | (_, Null) => Null,
        (Integer(a), Integer(b)) => match op {
            BinaryOp::Add => Integer(a.checked_add(b).ok_or_else(overflow)?),
            BinaryOp::Sub => Integer(a.checked_sub(b).ok_or_else(overflow)?),
            BinaryOp::Mul => Integer(a.checked_mul(b).ok_or_else(overflow)?),
            BinaryOp::Div if b == 0 => Null,
            BinaryOp::Div => Integer(a.checked_div(b).ok_or_else(overflow)?),
            BinaryOp::Mod if b == 0 => Null,
            BinaryOp::Mod => Integer(a.checked_rem(b).ok_or_else(overflow)?),
            _ => unreachable!("only arithmetic operators reach arithmetic"),
        },
        (a @ (Integer(_) | Real(_)), b @ (Integer(_) | Real(_))) => {
            let (a, b) = (as_real(&a), as_real(&b));
            let v = match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div if b == 0.0 => return Ok(Null),
                BinaryOp::Div => a / b,
                BinaryOp::Mod => return Err(EvalError("% needs integers".into())),
                _ => unreachable!("only arithmetic operators reach arithmetic"),
            };
            if !v.is_finite() {
                return Err(EvalError("real overflow".into()));
            }
            Real(if v == 0.0 { 0.0 } else { v })
        }
        (a, b) => {
            return Err(EvalError(format!(
                "arithmetic needs numbers, not {} and {}",
                a.type_name(),
                b.type_name()
            )));
        }
    })
}

fn as_real(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(f) => *f,
        _ => unreachable!("as_real is called on numbers only"),
    }
}

/// Whether an expression reads no column (it can be evaluated once, before a scan).
pub(crate) fn is_constant(expr: &Bound) -> bool {
    match expr {
        Expr::Column(_) | Expr::InSelect(..) => false,
        Expr::Literal(_) | Expr::Param(_) => true,
        Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) => is_constant(e),
        Expr::Binary(_, l, r) => is_constant(l) && is_constant(r),
        Expr::And(items) | Expr::Or(items) => items.iter().all(is_constant),
        Expr::InList(e, list, _) => is_constant(e) && list.iter().all(is_constant),
        Expr::Between(e, l, h, _) => is_constant(e) && is_constant(l) && is_constant(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(v: impl Into<Value>) -> Box<Bound> {
        Box::new(Expr::Literal(v.into()))
    }

    #[test]
    fn three_valued_logic() {
        let null = || lit(Value::Null);
        let t = || lit(true);
        let f = || lit(false);
        let e = |x: Bound| eval(&x, &[], &[]).unwrap();
        assert_eq!(e(Expr::And(vec![*null(), *f()])), Value::Boolean(false));
        assert_eq!(e(Expr::And(vec![*null(), *t()])), Value::Null);
        assert_eq!(e(Expr::Or(vec![*null(), *t()])), Value::Boolean(true));
        assert_eq!(e(Expr::Or(vec![*null(), *f()])), Value::Null);
        assert_eq!(e(Expr::Not(null())), Value::Null);
        let in_list = Expr::InList(lit(1), vec![Expr::Literal(2.into()), *null()], false);
        assert_eq!(e(in_list), Value::Null);
        let not_in = Expr::InList(lit(1), vec![Expr::Literal(1.into()), *null()], true);
        assert_eq!(e(not_in), Value::Boolean(false));
        assert_eq!(e(Expr::Binary(BinaryOp::Div, lit(1), lit(0))), Value::Null);
        assert_eq!(
            e(Expr::Binary(BinaryOp::Div, lit(-7), lit(2))),
            Value::Integer(-3)
        );
        assert!(
            eval(
                &Expr::Binary(BinaryOp::Mul, lit(i64::MAX), lit(2)),
                &[],
                &[]
            )
            .is_err()
        );
    }
}
