//! Every conversion between Python values and core's types, in one place.
//!
//! SQL values both ways: `None` ↔ NULL, `bool` ↔ boolean, `int` ↔ integer (64-bit signed),
//! `float` ↔ real, `str` ↔ text, `bytes`/`bytearray`/`memoryview` → bytes (→ `bytes`), and an
//! aware `datetime` ↔ timestamp (microseconds since the Unix epoch; results are in UTC). A naive
//! `datetime` is refused (`InvalidInputError`): VerityDB does not guess a time zone. A value of
//! any other type is a `ParameterTypeError` (a `TypeError`) naming the parameter.
//!
//! The stable ABI has no C access to `datetime` fields, so datetimes go through Python
//! arithmetic against a cached UTC epoch: exact to the microsecond, no floating point.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};
use veritydb::sql::{At, Value};

use crate::errors::{BindingError, Family};

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MEMORYVIEW: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EPOCH_UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

fn epoch_utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    EPOCH_UTC
        .get_or_try_init(py, || {
            let datetime = py.import("datetime")?;
            let utc = datetime.getattr("timezone")?.getattr("utc")?;
            let epoch = datetime
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
            Ok::<_, PyErr>(epoch.unbind())
        })
        .map(|epoch| epoch.bind(py))
}

/// Whether `value` is a `datetime.datetime`.
pub(crate) fn is_datetime(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    let class = DATETIME.import(value.py(), "datetime", "datetime")?;
    value.is_instance(class)
}

/// An aware datetime as microseconds since the Unix epoch.
pub(crate) fn datetime_to_micros(value: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    if value.call_method0("utcoffset")?.is_none() {
        return Err(BindingError::new(
            Family::InvalidInput,
            format!(
                "{what} is a naive datetime: give an aware one (for example tzinfo=datetime.timezone.utc)"
            ),
        )
        .into());
    }
    let delta = value.sub(epoch_utc(value.py())?)?;
    let days: i64 = delta.getattr("days")?.extract()?;
    let seconds: i64 = delta.getattr("seconds")?.extract()?;
    let micros: i64 = delta.getattr("microseconds")?.extract()?;
    // |days| <= 999_999_999 for any datetime, so days * MICROS_PER_DAY fits in i64.
    Ok(days * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + micros)
}

/// Microseconds since the Unix epoch as an aware UTC datetime.
pub(crate) fn micros_to_datetime(py: Python<'_>, micros: i64) -> PyResult<Bound<'_, PyAny>> {
    let timedelta = TIMEDELTA.import(py, "datetime", "timedelta")?;
    let delta = timedelta.call1((
        micros.div_euclid(MICROS_PER_DAY),
        0,
        micros.rem_euclid(MICROS_PER_DAY),
    ))?;
    epoch_utc(py)?.add(delta)
}

/// A Python value as a SQL value; `what` names it in errors ("parameter 2").
pub(crate) fn to_value(value: &Bound<'_, PyAny>, what: &dyn Fn() -> String) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    // `bool` before `int`: it is a subclass of `int`.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Boolean(b.is_true()));
    }
    if let Ok(i) = value.cast::<PyInt>() {
        return i.extract::<i64>().map(Value::Integer).map_err(|_| {
            BindingError::new(
                Family::InvalidInput,
                format!("{} is {i}, outside the 64-bit signed integer range", what()),
            )
            .into()
        });
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(Value::Real(f.value()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Value::Text(s.extract::<String>()?));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(Value::Bytes(b.to_vec()));
    }
    if value.is_instance(MEMORYVIEW.import(value.py(), "builtins", "memoryview")?)? {
        let bytes = value.call_method0("tobytes")?;
        return Ok(Value::Bytes(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    if is_datetime(value)? {
        return Ok(Value::Timestamp(datetime_to_micros(value, &what())?));
    }
    Err(BindingError::new(
        Family::ParameterType,
        format!(
            "{} has type {}: give None, bool, int, float, str, bytes or an aware datetime",
            what(),
            type_name(value)
        ),
    )
    .into())
}

/// The parameters of a statement: a tuple or list (or any other non-text sequence); `None`
/// is no parameters.
pub(crate) fn to_params(params: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Value>> {
    let Some(params) = params else {
        return Ok(Vec::new());
    };
    if params.is_none() {
        return Ok(Vec::new());
    }
    let name = |index: usize| move || format!("parameter {}", index + 1);
    if let Ok(tuple) = params.cast::<PyTuple>() {
        return tuple
            .iter()
            .enumerate()
            .map(|(i, v)| to_value(&v, &name(i)))
            .collect();
    }
    if let Ok(list) = params.cast::<PyList>() {
        return list
            .iter()
            .enumerate()
            .map(|(i, v)| to_value(&v, &name(i)))
            .collect();
    }
    let refused = params.is_instance_of::<PyString>()
        || params.is_instance_of::<PyBytes>()
        || params.is_instance_of::<PyDict>();
    let iterator = match refused {
        true => None,
        false => params.try_iter().ok(),
    };
    let Some(iterator) = iterator else {
        return Err(BindingError::new(
            Family::ParameterType,
            format!(
                "parameters must be a tuple or list of values (qmark style, one per '?'), not {}",
                type_name(params)
            ),
        )
        .into());
    };
    iterator
        .enumerate()
        .map(|(i, v)| to_value(&v?, &name(i)))
        .collect()
}

/// A SQL value as a Python value.
pub(crate) fn from_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        Value::Real(f) => PyFloat::new(py, *f).into_any(),
        Value::Text(s) => PyString::new(py, s).into_any(),
        Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any(),
        Value::Timestamp(us) => micros_to_datetime(py, *us)?,
    })
}

/// `position=` or `timestamp=` of a time-travel query: exactly one of them.
pub(crate) fn at(position: Option<u64>, timestamp: Option<&Bound<'_, PyAny>>) -> PyResult<At> {
    match (position, timestamp) {
        (Some(p), None) => Ok(At::Position(p)),
        (None, Some(t)) => {
            let micros = match t.cast::<PyInt>() {
                Ok(i) if !t.is_instance_of::<PyBool>() => i.extract::<i64>().map_err(|_| {
                    BindingError::new(Family::InvalidInput, "timestamp is out of range")
                })?,
                _ if is_datetime(t)? => datetime_to_micros(t, "timestamp")?,
                _ => {
                    return Err(BindingError::new(
                        Family::ParameterType,
                        format!(
                            "timestamp must be an aware datetime or microseconds since the epoch (int), not {}",
                            type_name(t)
                        ),
                    )
                    .into());
                }
            };
            let micros = u64::try_from(micros).map_err(|_| {
                BindingError::new(
                    Family::InvalidInput,
                    "timestamp is before 1970-01-01T00:00:00Z",
                )
            })?;
            Ok(At::Timestamp(micros))
        }
        _ => Err(BindingError::new(
            Family::InvalidInput,
            "give exactly one of position= or timestamp=",
        )
        .into()),
    }
}

/// The name of a value's type, for messages.
pub(crate) fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_owned(), |n| n.to_string())
}

/// A list of strings: a `str` alone is refused (it would be a list of characters).
pub(crate) fn strings(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<String>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if value.is_instance_of::<PyString>() {
        return Err(BindingError::new(
            Family::ParameterType,
            format!("{what} must be a list of names, not one str"),
        )
        .into());
    }
    let iterator = value.try_iter().map_err(|_| {
        BindingError::new(
            Family::ParameterType,
            format!("{what} must be a list of names, not {}", type_name(value)),
        )
    })?;
    iterator
        .map(|item| {
            let item = item?;
            item.extract::<String>().map_err(|_| {
                BindingError::new(
                    Family::ParameterType,
                    format!("{what} must hold str, not {}", type_name(&item)),
                )
                .into()
            })
        })
        .collect()
}
