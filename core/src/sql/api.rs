//! The embedded SQL API on [`Tenant`]: `execute`, `query`, `query_at`, `prepare`, `batch`,
//! `read_at_least`, `rebuild_projection` (`docs/reference/sql.md`).
//!
//! Consistency: a write returns once its entries are durable and applied to the projection,
//! so every later query on any handle of the same `Db` sees it (read your writes);
//! `read_at_least(p)` additionally applies entries up to `p` that reached the log another way.

use std::sync::{Arc, Mutex};

use super::Failure;
use super::ast::{Select, Statement as Ast};
use super::error::{ExecuteError, PrepareError, QueryError};
use super::exec::{self, Ctx, QueryPlan, ResultColumn};
use super::group::Request;
use super::parse::{self, ParseError, Parsed};
use super::projection::{Expectation, Projection, Snapshot};
use super::schema::Schema;
use super::value::Value;
use crate::db::Tenant;
use crate::limits;

/// The outcome of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecResult {
    /// The position of the last entry the write appended (a receipt can prove it); for a
    /// write that changed nothing, the last position the projection had applied (0 if none).
    pub position: u64,
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
}

/// The rows a query returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// Result columns: names and static types.
    pub columns: Vec<ResultColumn>,
    /// The rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// For each row, the position of the entry that last wrote it (its version, for
    /// [`Batch::expect_version`]); 0 for `COUNT(*)` and queries without `FROM`.
    pub versions: Vec<u64>,
}

impl Rows {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The column names.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// A point in the log to read as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The state once entry `n` (and every entry before it) was applied.
    Position(u64),
    /// The state once every entry with a timestamp at or before this many microseconds
    /// since the Unix epoch was applied.
    Timestamp(u64),
}

pub(crate) fn prepare_error(e: ParseError) -> PrepareError {
    match e {
        ParseError::Syntax(m) => PrepareError::Syntax(m),
        ParseError::Unsupported(m) => PrepareError::Unsupported(m),
        ParseError::Invalid(m) => PrepareError::Invalid(m),
        ParseError::Limit(m) => PrepareError::Limit(m),
    }
}

fn parse_sql(sql: &str) -> Result<Arc<Parsed>, PrepareError> {
    parse::parse(sql).map(Arc::new).map_err(prepare_error)
}

fn check_params(parsed: &Parsed, params: &[Value]) -> Result<(), Failure> {
    if params.len() != parsed.params {
        return Err(Failure::Invalid(format!(
            "the statement takes {} parameters, {} were given",
            parsed.params,
            params.len()
        )));
    }
    Ok(())
}

impl Tenant {
    fn projection(&self) -> Result<Arc<Projection>, Failure> {
        self.sql_registry().projection(self)
    }

    /// Runs a write statement (CREATE, DROP, INSERT, UPDATE, DELETE) as one atomic batch of
    /// entries; returns once it is durable and visible to queries.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult, ExecuteError> {
        let parsed = parse_sql(sql)?;
        self.execute_parsed(&parsed, params)
            .map_err(Failure::into_execute)
    }

    fn execute_parsed(
        &self,
        parsed: &Arc<Parsed>,
        params: &[Value],
    ) -> Result<ExecResult, Failure> {
        check_params(parsed, params)?;
        let request = Request {
            actor: self.actor_arc(),
            statements: vec![(Arc::clone(parsed), params.to_vec())],
            expectations: Vec::new(),
        };
        let written = self.projection()?.write(self, request)?;
        Ok(ExecResult {
            position: written.position,
            rows_affected: written.rows_affected,
        })
    }

    /// Runs a SELECT on the current state.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, QueryError> {
        let parsed = parse_sql(sql)?;
        let select = as_select(&parsed).map_err(Failure::into_query)?;
        check_params(&parsed, params).map_err(Failure::into_query)?;
        self.run_select(select, params, None, None)
            .map_err(Failure::into_query)
    }

    /// Runs a SELECT on the state as of a past position or time (the SQL must not carry its
    /// own `AT POSITION` / `AS OF TIMESTAMP`).
    pub fn query_at(&self, sql: &str, params: &[Value], at: At) -> Result<Rows, QueryError> {
        let parsed = parse_sql(sql)?;
        let select = as_select(&parsed).map_err(Failure::into_query)?;
        check_params(&parsed, params).map_err(Failure::into_query)?;
        self.run_select(select, params, Some(at), None)
            .map_err(Failure::into_query)
    }

    /// Parses a statement once, to run it many times with different parameters.
    pub fn prepare(&self, sql: &str) -> Result<Statement, PrepareError> {
        Ok(Statement {
            tenant: self.clone(),
            parsed: parse_sql(sql)?,
            plan: Mutex::new(None),
        })
    }

    /// A batch: statements that commit atomically, with optional row-version preconditions.
    pub fn batch(&self) -> Batch {
        Batch {
            tenant: self.clone(),
            statements: Vec::new(),
            expectations: Vec::new(),
        }
    }

    /// Makes sure queries see every entry up to and including `position` (entries written by
    /// this SQL layer are visible at once; this also applies entries that reached the log
    /// another way). A position beyond the durable log is an `OutOfRange` error.
    pub fn read_at_least(&self, position: u64) -> Result<(), QueryError> {
        let size = self.size();
        if position >= size {
            return Err(QueryError::OutOfRange(format!(
                "position {position} is beyond the log (size {size})"
            )));
        }
        let run = || self.projection()?.catch_up(self, position + 1);
        run().map_err(Failure::into_query)
    }

    /// Deletes the tenant's projection and rebuilds it by replaying the whole log.
    pub fn rebuild_projection(&self) -> Result<(), QueryError> {
        let run = || self.projection()?.rebuild(self);
        run().map_err(Failure::into_query)
    }

    /// Every key and value of the tenant's projection store (tables, rows, indexes, history,
    /// timeline), in order: for tests that compare a live projection with a rebuilt one.
    #[doc(hidden)]
    pub fn projection_dump(&self) -> Result<super::ProjectionDump, QueryError> {
        let run = || self.projection()?.dump();
        run().map_err(Failure::into_query)
    }

    /// How many log entries opening the tenant's projection replayed (the tail after its last
    /// durable state; 0 after a clean close).
    pub fn projection_replayed_at_open(&self) -> Result<u64, QueryError> {
        let run = || Ok(self.projection()?.replayed_at_open());
        run().map_err(Failure::into_query)
    }

    /// Log entries of kind schema or row that the projection could not apply (written by
    /// something other than this SQL layer); 0 in normal operation.
    pub fn projection_ignored_entries(&self) -> Result<u64, QueryError> {
        let run = || Ok(self.projection()?.ignored());
        run().map_err(Failure::into_query)
    }

    fn run_select(
        &self,
        select: &Select,
        params: &[Value],
        at: Option<At>,
        cache: Option<&PlanCache>,
    ) -> Result<Rows, Failure> {
        let projection = self.projection()?;
        let mut snapshot = projection.snapshot();
        let wanted = match (at, &select.at) {
            (Some(_), Some(_)) => return Err(Failure::Invalid("two time-travel clauses".into())),
            (Some(At::Position(p)), None) => Some(p),
            _ => None,
        };
        if let Some(p) = wanted
            && p >= snapshot.applied
        {
            projection.catch_up(self, p.saturating_add(1))?;
            snapshot = projection.snapshot();
        }
        let end = match (at, &select.at) {
            (None, None) => None,
            (None, Some(clause)) => {
                let resolved = exec::resolve_at(clause, &snapshot.tables, params, snapshot.applied);
                match resolved {
                    // Entries appended another way may not be applied yet: catch up, retry.
                    Err(Failure::OutOfRange(_)) if snapshot.applied < self.size() => {
                        projection.catch_up(self, self.size())?;
                        snapshot = projection.snapshot();
                        let applied = snapshot.applied;
                        Some(exec::resolve_at(clause, &snapshot.tables, params, applied)?)
                    }
                    other => Some(other?),
                }
            }
            (Some(At::Position(p)), _) if p >= snapshot.applied => {
                return Err(Failure::OutOfRange(format!(
                    "position {p} is beyond the log (last position {})",
                    snapshot.applied.saturating_sub(1)
                )));
            }
            (Some(At::Position(p)), _) => Some(p + 1),
            (Some(At::Timestamp(us)), _) => Some(snapshot.tables.end_at_timestamp(us)?),
        };
        let plan = match (end, cache) {
            (None, Some(cache)) => cache.plan(select, &snapshot)?,
            (end, _) => Arc::new(exec::bind_select(select, &snapshot.schema, end)?),
        };
        run_plan(&plan, &snapshot, params, end)
    }
}

fn run_plan(
    plan: &QueryPlan,
    snapshot: &Snapshot,
    params: &[Value],
    end: Option<u64>,
) -> Result<Rows, Failure> {
    let ctx = Ctx {
        tables: &snapshot.tables,
        schema: &snapshot.schema,
        params,
        end,
    };
    let found = exec::run(plan, &ctx)?;
    Ok(Rows {
        columns: plan.columns.clone(),
        rows: found.rows,
        versions: found.versions,
    })
}

fn as_select(parsed: &Parsed) -> Result<&Select, Failure> {
    match &parsed.statement {
        Ast::Select(select) => Ok(select),
        _ => Err(Failure::Invalid(
            "not a SELECT: use execute() for writes".into(),
        )),
    }
}

/// The plan of a prepared query, bound against one schema.
type PlanCache = Mutex<Option<(Arc<Schema>, Arc<QueryPlan>)>>;

trait CachedPlan {
    fn plan(&self, select: &Select, snapshot: &Snapshot) -> Result<Arc<QueryPlan>, Failure>;
}

impl CachedPlan for PlanCache {
    fn plan(&self, select: &Select, snapshot: &Snapshot) -> Result<Arc<QueryPlan>, Failure> {
        let mut cache = self
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((schema, plan)) = cache.as_ref()
            && Arc::ptr_eq(schema, &snapshot.schema)
        {
            return Ok(Arc::clone(plan));
        }
        let plan = Arc::new(exec::bind_select(select, &snapshot.schema, None)?);
        *cache = Some((Arc::clone(&snapshot.schema), Arc::clone(&plan)));
        Ok(plan)
    }
}

/// A statement parsed once (and, for queries, planned once per schema), run with parameters.
pub struct Statement {
    tenant: Tenant,
    parsed: Arc<Parsed>,
    plan: PlanCache,
}

impl std::fmt::Debug for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("params", &self.parsed.params)
            .finish_non_exhaustive()
    }
}

impl Statement {
    /// The number of parameters the statement takes.
    pub fn param_count(&self) -> usize {
        self.parsed.params
    }

    /// What the statement does with the tenant's tables (for authorization and auditing).
    pub fn shape(&self) -> super::Shape {
        super::shape::of(&self.parsed.statement)
    }

    /// Whether the statement is a query (SELECT).
    pub fn is_query(&self) -> bool {
        self.parsed.statement.is_query()
    }

    /// Runs the prepared SELECT with `params`.
    pub fn query(&self, params: &[Value]) -> Result<Rows, QueryError> {
        let run = || {
            let select = as_select(&self.parsed)?;
            check_params(&self.parsed, params)?;
            self.tenant
                .run_select(select, params, None, Some(&self.plan))
        };
        run().map_err(Failure::into_query)
    }

    /// Runs the prepared SELECT as of a past position or time.
    pub fn query_at(&self, params: &[Value], at: At) -> Result<Rows, QueryError> {
        let run = || {
            let select = as_select(&self.parsed)?;
            check_params(&self.parsed, params)?;
            self.tenant.run_select(select, params, Some(at), None)
        };
        run().map_err(Failure::into_query)
    }

    /// Runs the prepared write with `params`.
    pub fn execute(&self, params: &[Value]) -> Result<ExecResult, ExecuteError> {
        self.tenant
            .execute_parsed(&self.parsed, params)
            .map_err(Failure::into_execute)
    }
}

/// Statements that commit atomically as one batch of entries: all or nothing.
#[derive(Debug)]
pub struct Batch {
    tenant: Tenant,
    statements: Vec<(Arc<Parsed>, Vec<Value>)>,
    expectations: Vec<Expectation>,
}

impl Batch {
    /// Adds a write statement; it sees the effects of the statements added before it.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<&mut Batch, ExecuteError> {
        let parsed = parse_sql(sql)?;
        self.add(parsed, params)
    }

    /// Adds a prepared write statement.
    pub fn execute_prepared(
        &mut self,
        statement: &Statement,
        params: &[Value],
    ) -> Result<&mut Batch, ExecuteError> {
        self.add(Arc::clone(&statement.parsed), params)
    }

    fn add(&mut self, parsed: Arc<Parsed>, params: &[Value]) -> Result<&mut Batch, ExecuteError> {
        check_params(&parsed, params).map_err(Failure::into_execute)?;
        if parsed.statement.is_query() {
            return Err(ExecuteError::Invalid(
                "a batch holds writes, not queries".into(),
            ));
        }
        if self.statements.len() >= limits::SQL_BATCH_STATEMENTS_MAX {
            return Err(ExecuteError::Limit(format!(
                "a batch holds at most {} statements",
                limits::SQL_BATCH_STATEMENTS_MAX
            )));
        }
        self.statements.push((parsed, params.to_vec()));
        Ok(self)
    }

    /// Requires that the row of `table` with primary key `key` was last written at `version`
    /// (from [`Rows::versions`]), or, with `None`, that it does not exist; otherwise the
    /// commit fails with a conflict and writes nothing.
    pub fn expect_version(
        &mut self,
        table: &str,
        key: &[Value],
        version: Option<u64>,
    ) -> &mut Batch {
        self.expectations.push(Expectation {
            table: table.to_ascii_lowercase(),
            key: key.to_vec(),
            version,
        });
        self
    }

    /// Commits every statement as one atomic batch.
    pub fn commit(self) -> Result<ExecResult, ExecuteError> {
        let Batch {
            tenant,
            statements,
            expectations,
        } = self;
        let request = Request {
            actor: tenant.actor_arc(),
            statements,
            expectations,
        };
        let run = || tenant.projection()?.write(&tenant, request);
        let written = run().map_err(Failure::into_execute)?;
        Ok(ExecResult {
            position: written.position,
            rows_affected: written.rows_affected,
        })
    }
}
