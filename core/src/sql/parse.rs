//! SQL text to the subset's syntax tree ([`super::ast`]), through `sqlparser` (generic
//! dialect).
//!
//! Steps: check the size limit; tokenize; strip a trailing time-travel clause (`AT POSITION n`,
//! `AS OF TIMESTAMP '...'`), which `sqlparser` does not know; renumber `?` placeholders as
//! `$1, $2, ...` in text order; parse exactly one statement with a recursion limit; convert.
//!
//! Invariant: conversion accepts only what the subset defines. Each `sqlparser` node is either
//! converted completely or refused with [`ParseError::Unsupported`] naming the construct; a
//! node with any unexpected clause is refused by comparing it with the same node stripped to
//! the supported parts ([`template`]), so clauses we never heard of cannot be silently ignored.

use std::sync::OnceLock;

use sqlparser::ast as sp;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::ast::*;
use super::value::{ColumnType, Value, parse_timestamp};
use crate::limits;

/// Why SQL text was refused before it reached any data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not valid SQL.
    Syntax(String),
    /// Valid SQL outside the subset; names the construct.
    Unsupported(String),
    /// Inside the subset but invalid (bad literal, bad name).
    Invalid(String),
    /// Over a named limit (`limits::SQL_*`).
    Limit(String),
}

type Result<T> = std::result::Result<T, ParseError>;

fn unsupported<T>(what: impl Into<String>) -> Result<T> {
    Err(ParseError::Unsupported(what.into()))
}

fn invalid<T>(what: impl Into<String>) -> Result<T> {
    Err(ParseError::Invalid(what.into()))
}

fn limit<T>(what: impl Into<String>) -> Result<T> {
    Err(ParseError::Limit(what.into()))
}

/// A parsed statement and the number of parameters it takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub(crate) statement: Statement,
    pub(crate) params: usize,
}

/// Parses one statement of the subset.
pub(crate) fn parse(sql: &str) -> Result<Parsed> {
    if sql.len() > limits::SQL_STATEMENT_BYTES_MAX {
        return limit(format!(
            "statement of {} bytes is longer than the limit of {} bytes",
            sql.len(),
            limits::SQL_STATEMENT_BYTES_MAX
        ));
    }
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| ParseError::Syntax(e.to_string()))?;
    let operators = tokens.iter().filter(|t| is_operator(&t.token)).count();
    if operators > limits::SQL_OPERATORS_MAX {
        return limit(format!(
            "{operators} operators in one statement (at most {})",
            limits::SQL_OPERATORS_MAX
        ));
    }
    let mut tokens = tokens;
    let params = number_placeholders(&mut tokens)?;
    let (tokens, at) = strip_time_travel(tokens)?;
    let statements = Parser::new(&dialect)
        .with_recursion_limit(limits::SQL_NESTING_DEPTH_MAX)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| match e {
            sqlparser::parser::ParserError::RecursionLimitExceeded => ParseError::Limit(format!(
                "expression nested deeper than {} levels",
                limits::SQL_NESTING_DEPTH_MAX
            )),
            e => ParseError::Syntax(e.to_string()),
        })?;
    let statement = match <[sp::Statement; 1]>::try_from(statements) {
        Ok([statement]) => statement,
        Err(v) if v.is_empty() => return Err(ParseError::Syntax("empty statement".into())),
        Err(_) => return unsupported("several statements in one call (send them one by one)"),
    };
    let mut converter = Converter {
        params: 0,
        depth: 0,
    };
    let mut statement = converter.statement(statement)?;
    match (&mut statement, at) {
        (_, None) => {}
        (Statement::Select(select), Some(at)) => {
            select.at = Some(converter.at_clause(at)?);
        }
        (_, Some(_)) => return unsupported("time travel (AT POSITION / AS OF) outside SELECT"),
    }
    let params = params.max(converter.params);
    if params > limits::SQL_PARAMS_MAX {
        return limit(format!(
            "{params} parameters (at most {})",
            limits::SQL_PARAMS_MAX
        ));
    }
    Ok(Parsed { statement, params })
}

/// Tokens that build an operator node (a chain of them nests the syntax tree).
fn is_operator(token: &Token) -> bool {
    match token {
        Token::Word(w) => {
            w.quote_style.is_none()
                && ["AND", "OR", "NOT"]
                    .iter()
                    .any(|k| w.value.eq_ignore_ascii_case(k))
        }
        Token::Eq
        | Token::Neq
        | Token::Lt
        | Token::Gt
        | Token::LtEq
        | Token::GtEq
        | Token::Plus
        | Token::Minus
        | Token::Mul
        | Token::Div
        | Token::Mod
        | Token::StringConcat => true,
        _ => false,
    }
}

/// The tokens of a trailing time-travel clause, before conversion.
struct AtTokens {
    timestamp: bool,
    value: Token,
}

/// Removes `AT POSITION <n|param>` or `AS OF TIMESTAMP <'text'|n|param>` from the end.
fn strip_time_travel(
    mut tokens: Vec<TokenWithSpan>,
) -> Result<(Vec<TokenWithSpan>, Option<AtTokens>)> {
    let significant: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_) | Token::SemiColon))
        .map(|(i, _)| i)
        .collect();
    let word = |i: usize, w: &str| match &tokens[significant[i]].token {
        Token::Word(word) => word.quote_style.is_none() && word.value.eq_ignore_ascii_case(w),
        _ => false,
    };
    let n = significant.len();
    let (cut, timestamp) = if n >= 3 && word(n - 3, "AT") && word(n - 2, "POSITION") {
        (n - 3, false)
    } else if n >= 4 && word(n - 4, "AS") && word(n - 3, "OF") && word(n - 2, "TIMESTAMP") {
        (n - 4, true)
    } else {
        return Ok((tokens, None));
    };
    let value = tokens[significant[n - 1]].token.clone();
    let valid = match &value {
        Token::Number(..) | Token::Placeholder(_) => true,
        Token::SingleQuotedString(_) => timestamp,
        _ => false,
    };
    if !valid {
        return Err(ParseError::Syntax(format!(
            "expected a position or timestamp after the time-travel clause, found {value}"
        )));
    }
    tokens.truncate(significant[cut]);
    Ok((tokens, Some(AtTokens { timestamp, value })))
}

/// Renames `?` placeholders to `$1, $2, ...` in text order; returns the number of parameters
/// seen. Mixing `?` with `$n` is refused (their numbering would be ambiguous).
fn number_placeholders(tokens: &mut [TokenWithSpan]) -> Result<usize> {
    let (mut anonymous, mut numbered) = (0usize, 0usize);
    for token in tokens.iter_mut() {
        if let Token::Placeholder(p) = &mut token.token {
            if p == "?" {
                anonymous += 1;
                *p = format!("${anonymous}");
            } else {
                numbered += 1;
            }
        }
    }
    if anonymous > 0 && numbered > 0 {
        return unsupported("mixing ? and $n parameters in one statement");
    }
    Ok(anonymous)
}

/// Templates: the simplest statement of each kind, whose nodes hold every optional clause at
/// its default. A parsed node stripped of its supported parts must equal the template's.
struct Templates {
    insert: sp::Insert,
    update: sp::Update,
    delete: sp::Delete,
    create_table: sp::CreateTable,
    create_index: sp::CreateIndex,
}

fn template() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let parse = |sql: &str| {
            let mut statements =
                Parser::parse_sql(&GenericDialect {}, sql).expect("templates are valid SQL");
            statements.pop().expect("templates hold one statement")
        };
        let sp::Statement::Insert(insert) = parse("INSERT INTO t VALUES (1)") else {
            unreachable!("template INSERT")
        };
        let sp::Statement::Update(update) = parse("UPDATE t SET a = 1") else {
            unreachable!("template UPDATE")
        };
        let sp::Statement::Delete(delete) = parse("DELETE FROM t") else {
            unreachable!("template DELETE")
        };
        let sp::Statement::CreateTable(create_table) = parse("CREATE TABLE t (a INTEGER)") else {
            unreachable!("template CREATE TABLE")
        };
        let sp::Statement::CreateIndex(create_index) = parse("CREATE INDEX i ON t (a)") else {
            unreachable!("template CREATE INDEX")
        };
        Templates {
            insert,
            update,
            delete,
            create_table,
            create_index,
        }
    })
}

struct Converter {
    /// Highest `$n` seen.
    params: usize,
    /// Current expression nesting, bounded by `SQL_EXPRESSION_DEPTH_MAX`.
    depth: usize,
}

impl Converter {
    fn statement(&mut self, statement: sp::Statement) -> Result<Statement> {
        match statement {
            sp::Statement::Query(query) => Ok(Statement::Select(self.query(&query)?)),
            sp::Statement::Insert(insert) => self.insert(insert),
            sp::Statement::Update(update) => self.update(update),
            sp::Statement::Delete(delete) => self.delete(delete),
            sp::Statement::CreateTable(create) => self.create_table(create),
            sp::Statement::CreateIndex(create) => self.create_index(&create),
            sp::Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                restrict,
                purge,
                temporary,
                table,
            } => {
                if cascade || restrict || purge || temporary || table.is_some() {
                    return unsupported("DROP option (CASCADE, RESTRICT, PURGE, TEMPORARY, ON)");
                }
                let [name] = <[sp::ObjectName; 1]>::try_from(names)
                    .or_else(|_| unsupported("DROP of several objects"))?;
                let name = object_name(&name)?;
                match object_type {
                    sp::ObjectType::Table => Ok(Statement::DropTable { name, if_exists }),
                    sp::ObjectType::Index => Ok(Statement::DropIndex { name, if_exists }),
                    other => unsupported(format!("DROP {other}")),
                }
            }
            other => unsupported(statement_name(&other)),
        }
    }

    fn at_clause(&mut self, at: AtTokens) -> Result<AtClause> {
        let value = match at.value {
            Token::Number(n, _) => Expr::Literal(number(&n)?),
            Token::SingleQuotedString(s) => Expr::Literal(Value::Text(s)),
            Token::Placeholder(p) => Expr::Param(self.placeholder(&p)?),
            _ => unreachable!("strip_time_travel accepts only these tokens"),
        };
        Ok(if at.timestamp {
            AtClause::Timestamp(value)
        } else {
            AtClause::Position(value)
        })
    }

    fn placeholder(&mut self, p: &str) -> Result<usize> {
        let digits = p.strip_prefix('$').or_else(|| p.strip_prefix('?'));
        let n: usize = match digits.and_then(|d| d.parse().ok()) {
            Some(n) if n >= 1 => n,
            _ => return unsupported(format!("parameter {p} (use ? or $1, $2, ...)")),
        };
        if n > limits::SQL_PARAMS_MAX {
            return limit(format!(
                "parameter {p} (at most {})",
                limits::SQL_PARAMS_MAX
            ));
        }
        self.params = self.params.max(n);
        Ok(n - 1)
    }

    fn create_table(&mut self, mut create: sp::CreateTable) -> Result<Statement> {
        if create.query.is_some() {
            return unsupported("CREATE TABLE ... AS SELECT");
        }
        if create.temporary {
            return unsupported("CREATE TEMPORARY TABLE");
        }
        // Move the parts we convert out (no deep clones), then compare the rest.
        let columns = std::mem::take(&mut create.columns);
        let constraints = std::mem::take(&mut create.constraints);
        let mut stripped = create.clone();
        stripped.name = template().create_table.name.clone();
        stripped.columns = template().create_table.columns.clone();
        stripped.if_not_exists = false;
        if stripped != template().create_table {
            return unsupported(format!("CREATE TABLE clause in `{stripped}`"));
        }
        create.columns = columns;
        create.constraints = constraints;
        let name = object_name(&create.name)?;
        let mut primary_key = Vec::new();
        let mut columns = Vec::new();
        if create.columns.len() > limits::SQL_COLUMNS_MAX {
            return limit(format!("more than {} columns", limits::SQL_COLUMNS_MAX));
        }
        for column in &create.columns {
            let (def, is_key) = column_def(column)?;
            if is_key {
                if !primary_key.is_empty() {
                    return invalid(
                        "more than one PRIMARY KEY (use PRIMARY KEY (a, b) for a composite key)",
                    );
                }
                primary_key.push(def.name.clone());
            }
            columns.push(def);
        }
        for constraint in &create.constraints {
            match constraint {
                sp::TableConstraint::PrimaryKey(pk)
                    if pk.name.is_none()
                        && pk.index_name.is_none()
                        && pk.index_type.is_none()
                        && pk.include.is_empty()
                        && pk.index_options.is_empty()
                        && pk.characteristics.is_none() =>
                {
                    if !primary_key.is_empty() {
                        return invalid("more than one PRIMARY KEY");
                    }
                    for column in &pk.columns {
                        let (name, descending) = index_column(column)?;
                        if descending {
                            return unsupported("DESC in PRIMARY KEY");
                        }
                        primary_key.push(name);
                    }
                }
                other => return unsupported(format!("table constraint `{other}`")),
            }
        }
        Ok(Statement::CreateTable(CreateTable {
            name,
            columns,
            primary_key,
            if_not_exists: create.if_not_exists,
        }))
    }

    fn create_index(&mut self, create: &sp::CreateIndex) -> Result<Statement> {
        let mut stripped = create.clone();
        let t = &template().create_index;
        stripped.name = t.name.clone();
        stripped.table_name = t.table_name.clone();
        stripped.columns = t.columns.clone();
        stripped.unique = false;
        stripped.if_not_exists = false;
        if stripped != *t {
            return unsupported(format!("CREATE INDEX clause in `{create}`"));
        }
        let Some(name) = &create.name else {
            return unsupported("CREATE INDEX without a name");
        };
        if create.columns.len() > limits::SQL_INDEX_COLUMNS_MAX {
            return limit(format!(
                "more than {} index columns",
                limits::SQL_INDEX_COLUMNS_MAX
            ));
        }
        let columns = create
            .columns
            .iter()
            .map(index_column)
            .collect::<Result<Vec<_>>>()?;
        Ok(Statement::CreateIndex(CreateIndex {
            name: object_name(name)?,
            table: object_name(&create.table_name)?,
            columns,
            unique: create.unique,
            if_not_exists: create.if_not_exists,
        }))
    }

    fn insert(&mut self, mut insert: sp::Insert) -> Result<Statement> {
        if insert.on.is_some() {
            return unsupported("INSERT ... ON CONFLICT / ON DUPLICATE KEY");
        }
        if insert.returning.is_some() {
            return unsupported("RETURNING");
        }
        if insert.or.is_some() || insert.replace_into {
            return unsupported("INSERT OR REPLACE / REPLACE INTO");
        }
        let t = &template().insert;
        let source = insert.source.take();
        let mut stripped = insert.clone();
        stripped.table = t.table.clone();
        stripped.columns = Vec::new();
        stripped.source = t.source.clone();
        if stripped != *t {
            return unsupported(format!("INSERT clause in `{stripped}`"));
        }
        let sp::TableObject::TableName(table) = &insert.table else {
            return unsupported("INSERT INTO a table function");
        };
        let columns = match insert.columns.is_empty() {
            true => None,
            false => Some(
                insert
                    .columns
                    .iter()
                    .map(object_name)
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        let Some(source) = source else {
            return unsupported("INSERT without VALUES or SELECT");
        };
        let source = self.insert_source(&source)?;
        Ok(Statement::Insert(Insert {
            table: object_name(table)?,
            columns,
            source,
        }))
    }

    fn insert_source(&mut self, query: &sp::Query) -> Result<InsertSource> {
        if let sp::SetExpr::Values(values) = query.body.as_ref() {
            check_query_clauses(query)?;
            if query.order_by.is_some() || query.limit_clause.is_some() {
                return unsupported("clause after VALUES");
            }
            if values.rows.len() > limits::SQL_ROWS_PER_WRITE_MAX {
                return limit(format!(
                    "more than {} rows in VALUES",
                    limits::SQL_ROWS_PER_WRITE_MAX
                ));
            }
            let rows = values
                .rows
                .iter()
                .map(|row| row.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>>>())
                .collect::<Result<Vec<_>>>()?;
            return Ok(InsertSource::Values(rows));
        }
        Ok(InsertSource::Select(Box::new(self.query(query)?)))
    }

    fn update(&mut self, mut update: sp::Update) -> Result<Statement> {
        if update.from.is_some() {
            return unsupported("UPDATE ... FROM");
        }
        if update.returning.is_some() {
            return unsupported("RETURNING");
        }
        let t = &template().update;
        let selection = update.selection.take();
        let assignments_taken = std::mem::take(&mut update.assignments);
        let mut stripped = update.clone();
        stripped.table = t.table.clone();
        stripped.assignments = t.assignments.clone();
        if stripped != *t {
            return unsupported(format!("UPDATE clause in `{stripped}`"));
        }
        update.assignments = assignments_taken;
        update.selection = selection;
        let table = single_table(&update.table)?;
        let mut assignments = Vec::with_capacity(update.assignments.len());
        for assignment in &update.assignments {
            let sp::AssignmentTarget::ColumnName(column) = &assignment.target else {
                return unsupported("tuple assignment in UPDATE");
            };
            assignments.push((object_name(column)?, self.expr(&assignment.value)?));
        }
        let filter = update
            .selection
            .as_ref()
            .map(|e| self.expr(e))
            .transpose()?;
        Ok(Statement::Update(Update {
            table,
            assignments,
            filter,
        }))
    }

    fn delete(&mut self, mut delete: sp::Delete) -> Result<Statement> {
        if delete.returning.is_some() {
            return unsupported("RETURNING");
        }
        if delete.using.is_some() {
            return unsupported("DELETE ... USING");
        }
        let t = &template().delete;
        let selection = delete.selection.take();
        let mut stripped = delete.clone();
        stripped.from = t.from.clone();
        if stripped != *t {
            return unsupported(format!("DELETE clause in `{stripped}`"));
        }
        delete.selection = selection;
        let (sp::FromTable::WithFromKeyword(from) | sp::FromTable::WithoutKeyword(from)) =
            &delete.from;
        let [from] = from.as_slice() else {
            return unsupported("DELETE from several tables");
        };
        let table = single_table(from)?;
        let filter = delete
            .selection
            .as_ref()
            .map(|e| self.expr(e))
            .transpose()?;
        Ok(Statement::Delete(Delete { table, filter }))
    }

    fn query(&mut self, query: &sp::Query) -> Result<Select> {
        check_query_clauses(query)?;
        let select = match query.body.as_ref() {
            sp::SetExpr::Select(select) => select.as_ref(),
            sp::SetExpr::SetOperation { op, .. } => return unsupported(format!("{op}")),
            sp::SetExpr::Values(_) => return unsupported("VALUES as a query"),
            sp::SetExpr::Query(_) => return unsupported("parenthesized query"),
            other => return unsupported(format!("query `{other}`")),
        };
        let mut out = self.select(select)?;
        if let Some(order_by) = &query.order_by {
            out.order_by = self.order_by(order_by)?;
        }
        match &query.limit_clause {
            None => {}
            Some(sp::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return unsupported("LIMIT BY");
                }
                out.limit = limit.as_ref().map(|e| self.expr(e)).transpose()?;
                out.offset = offset.as_ref().map(|o| self.expr(&o.value)).transpose()?;
            }
            Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
                out.limit = Some(self.expr(limit)?);
                out.offset = Some(self.expr(offset)?);
            }
        }
        Ok(out)
    }

    fn select(&mut self, select: &sp::Select) -> Result<Select> {
        check_select_clauses(select)?;
        let from = match select.from.as_slice() {
            [] => None,
            [table] => Some(single_table(table)?),
            _ => return unsupported("several tables in FROM (joins)"),
        };
        if select.projection.len() > limits::SQL_COLUMNS_MAX {
            return limit(format!(
                "more than {} result columns",
                limits::SQL_COLUMNS_MAX
            ));
        }
        let items = select
            .projection
            .iter()
            .map(|item| self.select_item(item))
            .collect::<Result<Vec<_>>>()?;
        let filter = select
            .selection
            .as_ref()
            .map(|e| self.expr(e))
            .transpose()?;
        Ok(Select {
            from,
            items,
            filter,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            at: None,
        })
    }

    fn select_item(&mut self, item: &sp::SelectItem) -> Result<SelectItem> {
        let (expr, alias) = match item {
            sp::SelectItem::Wildcard(options) => {
                if item.to_string() != "*" {
                    return unsupported(format!("wildcard option in `{options}`"));
                }
                return Ok(SelectItem::Wildcard);
            }
            sp::SelectItem::UnnamedExpr(expr) => (expr, None),
            sp::SelectItem::ExprWithAlias { expr, alias } => (expr, Some(ident(alias))),
            other => return unsupported(format!("select item `{other}`")),
        };
        if let sp::Expr::Function(function) = expr
            && function.to_string().eq_ignore_ascii_case("COUNT(*)")
        {
            let name = alias.unwrap_or_else(|| "COUNT(*)".to_owned());
            return Ok(SelectItem::CountStar { name });
        }
        let name = match (alias, expr) {
            (Some(alias), _) => alias,
            (None, sp::Expr::Identifier(id)) => ident(id),
            (None, sp::Expr::CompoundIdentifier(ids)) if !ids.is_empty() => {
                ident(&ids[ids.len() - 1])
            }
            (None, expr) => expr.to_string(),
        };
        Ok(SelectItem::Expr {
            expr: self.expr(expr)?,
            name,
        })
    }

    fn order_by(&mut self, order_by: &sp::OrderBy) -> Result<Vec<OrderItem>> {
        if order_by.interpolate.is_some() {
            return unsupported("INTERPOLATE");
        }
        let sp::OrderByKind::Expressions(exprs) = &order_by.kind else {
            return unsupported("ORDER BY ALL");
        };
        let mut items = Vec::with_capacity(exprs.len());
        for item in exprs {
            if item.with_fill.is_some() {
                return unsupported("WITH FILL");
            }
            let descending = match &item.options.sort {
                None | Some(sp::OrderBySort::Asc) => false,
                Some(sp::OrderBySort::Desc) => true,
                Some(other) => return unsupported(format!("ORDER BY {other:?}")),
            };
            let key = match &item.expr {
                sp::Expr::Value(v) => match &v.value {
                    sp::Value::Number(n, _) => match n.parse::<usize>() {
                        Ok(position) if position >= 1 => OrderKey::Position(position),
                        _ => return invalid(format!("ORDER BY position {n}")),
                    },
                    _ => OrderKey::Expr(self.expr(&item.expr)?),
                },
                expr => OrderKey::Expr(self.expr(expr)?),
            };
            items.push(OrderItem {
                key,
                descending,
                nulls_first: item.options.nulls_first,
            });
        }
        Ok(items)
    }

    fn expr(&mut self, expr: &sp::Expr) -> Result<Expr> {
        self.depth += 1;
        if self.depth > limits::SQL_EXPRESSION_DEPTH_MAX {
            return limit(format!(
                "expression nested deeper than {}",
                limits::SQL_EXPRESSION_DEPTH_MAX
            ));
        }
        let converted = self.expr_inner(expr);
        self.depth -= 1;
        converted
    }

    fn expr_inner(&mut self, expr: &sp::Expr) -> Result<Expr> {
        let boxed = |this: &mut Converter, e: &sp::Expr| this.expr(e).map(Box::new);
        Ok(match expr {
            sp::Expr::Identifier(id) => Expr::Column(ColumnName {
                table: None,
                name: ident(id),
            }),
            sp::Expr::CompoundIdentifier(ids) => match ids.as_slice() {
                [table, column] => Expr::Column(ColumnName {
                    table: Some(ident(table)),
                    name: ident(column),
                }),
                _ => return unsupported(format!("qualified name `{expr}`")),
            },
            sp::Expr::Nested(inner) => self.expr(inner)?,
            sp::Expr::Value(v) => self.value(&v.value)?,
            sp::Expr::TypedString(typed) => self.typed_string(typed)?,
            sp::Expr::UnaryOp { op, expr: inner } => match op {
                sp::UnaryOperator::Minus => negate(self.expr(inner)?),
                sp::UnaryOperator::Plus => self.expr(inner)?,
                sp::UnaryOperator::Not => Expr::Not(boxed(self, inner)?),
                other => return unsupported(format!("operator {other}")),
            },
            sp::Expr::BinaryOp {
                op: sp::BinaryOperator::And | sp::BinaryOperator::Or,
                ..
            } => self.logic_chain(expr)?,
            sp::Expr::BinaryOp { left, op, right } => {
                let op = binary_op(op)?;
                Expr::Binary(op, boxed(self, left)?, boxed(self, right)?)
            }
            sp::Expr::IsNull(inner) => Expr::IsNull(boxed(self, inner)?, false),
            sp::Expr::IsNotNull(inner) => Expr::IsNull(boxed(self, inner)?, true),
            sp::Expr::InList {
                expr: inner,
                list,
                negated,
            } => {
                if list.len() > limits::SQL_IN_LIST_MAX {
                    return limit(format!(
                        "IN list of {} values (at most {})",
                        list.len(),
                        limits::SQL_IN_LIST_MAX
                    ));
                }
                let list = list.iter().map(|e| self.expr(e)).collect::<Result<_>>()?;
                Expr::InList(boxed(self, inner)?, list, *negated)
            }
            sp::Expr::InSubquery {
                expr: inner,
                subquery,
                negated,
            } => {
                let select = self.query(subquery)?;
                Expr::InSelect(boxed(self, inner)?, Box::new(select), *negated)
            }
            sp::Expr::Between {
                expr: inner,
                negated,
                low,
                high,
            } => Expr::Between(
                boxed(self, inner)?,
                boxed(self, low)?,
                boxed(self, high)?,
                *negated,
            ),
            other => return unsupported(expr_name(other)),
        })
    }

    /// `a AND b AND c ...` (or OR) walked along its left spine without recursion, so a long
    /// chain costs no stack.
    fn logic_chain(&mut self, expr: &sp::Expr) -> Result<Expr> {
        let sp::Expr::BinaryOp { op: chain_op, .. } = expr else {
            unreachable!("logic_chain is called on AND/OR")
        };
        let mut rights = Vec::new();
        let mut left = expr;
        while let sp::Expr::BinaryOp { left: l, op, right } = left
            && op == chain_op
        {
            rights.push(right.as_ref());
            left = l;
        }
        let mut items = Vec::with_capacity(rights.len() + 1);
        items.push(self.expr(left)?);
        for right in rights.into_iter().rev() {
            items.push(self.expr(right)?);
        }
        Ok(match chain_op {
            sp::BinaryOperator::And => Expr::And(items),
            _ => Expr::Or(items),
        })
    }

    fn value(&mut self, value: &sp::Value) -> Result<Expr> {
        Ok(Expr::Literal(match value {
            sp::Value::Number(n, _) => number(n)?,
            sp::Value::SingleQuotedString(s) => Value::Text(s.clone()),
            sp::Value::Boolean(b) => Value::Boolean(*b),
            sp::Value::Null => Value::Null,
            sp::Value::HexStringLiteral(hex) => Value::Bytes(decode_hex(hex)?),
            sp::Value::Placeholder(p) => return Ok(Expr::Param(self.placeholder(p)?)),
            other => return unsupported(format!("literal {other}")),
        }))
    }

    fn typed_string(&mut self, typed: &sp::TypedString) -> Result<Expr> {
        let text = match &typed.value.value {
            sp::Value::SingleQuotedString(s) => s,
            other => return unsupported(format!("typed literal {other}")),
        };
        match &typed.data_type {
            sp::DataType::Timestamp(None, sp::TimezoneInfo::None) => match parse_timestamp(text) {
                Some(us) => Ok(Expr::Literal(Value::Timestamp(us))),
                None => invalid(format!("timestamp literal '{text}'")),
            },
            other => unsupported(format!("typed literal {other} '...'")),
        }
    }
}

/// `-literal` folds into the literal, so `-9223372036854775808` and `-1.5` are values.
fn negate(expr: Expr) -> Expr {
    match expr {
        Expr::Literal(Value::Integer(v)) if v != i64::MIN => Expr::Literal(Value::Integer(-v)),
        Expr::Literal(Value::Real(v)) => Expr::Literal(Value::Real(-v)),
        other => Expr::Neg(Box::new(other)),
    }
}

/// A numeric literal: an integer if it fits in i64 and has no fraction or exponent.
fn number(text: &str) -> Result<Value> {
    if text.bytes().all(|b| b.is_ascii_digit())
        && let Ok(v) = text.parse::<i64>()
    {
        return Ok(Value::Integer(v));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Value::Real(v)),
        _ => invalid(format!("number {text}")),
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return invalid(format!("hex literal X'{hex}' has an odd number of digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .or_else(|_| invalid(format!("hex literal X'{hex}'")))
        })
        .collect()
}

/// Refuses every clause of a query node but the body, ORDER BY and LIMIT/OFFSET. The node is
/// destructured completely, so a field added by a new `sqlparser` fails to compile here.
fn check_query_clauses(query: &sp::Query) -> Result<()> {
    let sp::Query {
        with,
        body: _,
        order_by: _,
        limit_clause: _,
        fetch,
        locks,
        for_clause,
        settings,
        format_clause,
        pipe_operators,
    } = query;
    if with.is_some() {
        return unsupported("WITH (common table expressions)");
    }
    if fetch.is_some() {
        return unsupported("FETCH");
    }
    if !locks.is_empty() {
        return unsupported("FOR UPDATE / FOR SHARE");
    }
    if for_clause.is_some()
        || settings.is_some()
        || format_clause.is_some()
        || !pipe_operators.is_empty()
    {
        return unsupported(format!("query clause in `{query}`"));
    }
    Ok(())
}

/// Refuses every clause of a SELECT node but the select list, FROM and WHERE (destructured
/// completely, as above).
fn check_select_clauses(select: &sp::Select) -> Result<()> {
    let sp::Select {
        select_token: _,
        optimizer_hints,
        distinct,
        select_modifiers,
        top,
        top_before_distinct: _,
        projection: _,
        exclude,
        into,
        from: _,
        lateral_views,
        prewhere,
        selection: _,
        connect_by,
        group_by,
        cluster_by,
        distribute_by,
        sort_by,
        having,
        named_window,
        qualify,
        window_before_qualify: _,
        value_table_mode,
        flavor,
    } = select;
    let no_group_by =
        matches!(group_by, sp::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    let named = |what: &str| unsupported(what.to_owned());
    match () {
        _ if distinct.is_some() => named("DISTINCT"),
        _ if !no_group_by => named("GROUP BY"),
        _ if having.is_some() => named("HAVING"),
        _ if top.is_some() => named("TOP"),
        _ if into.is_some() => named("SELECT INTO"),
        _ if !named_window.is_empty() || qualify.is_some() => named("window clause"),
        _ if !optimizer_hints.is_empty()
            || select_modifiers.is_some()
            || exclude.is_some()
            || !lateral_views.is_empty()
            || prewhere.is_some()
            || !connect_by.is_empty()
            || !cluster_by.is_empty()
            || !distribute_by.is_empty()
            || !sort_by.is_empty()
            || value_table_mode.is_some()
            || *flavor != sp::SelectFlavor::Standard =>
        {
            named("SELECT clause outside the subset")
        }
        _ => Ok(()),
    }
}

fn binary_op(op: &sp::BinaryOperator) -> Result<BinaryOp> {
    Ok(match op {
        sp::BinaryOperator::Plus => BinaryOp::Add,
        sp::BinaryOperator::Minus => BinaryOp::Sub,
        sp::BinaryOperator::Multiply => BinaryOp::Mul,
        sp::BinaryOperator::Divide => BinaryOp::Div,
        sp::BinaryOperator::Modulo => BinaryOp::Mod,
        sp::BinaryOperator::Eq => BinaryOp::Eq,
        sp::BinaryOperator::NotEq => BinaryOp::NotEq,
        sp::BinaryOperator::Lt => BinaryOp::Lt,
        sp::BinaryOperator::LtEq => BinaryOp::LtEq,
        sp::BinaryOperator::Gt => BinaryOp::Gt,
        sp::BinaryOperator::GtEq => BinaryOp::GtEq,
        other => return unsupported(format!("operator {other}")),
    })
}

/// An identifier: unquoted names are case-insensitive (folded to lower case); quoted names
/// keep their case.
fn ident(id: &sp::Ident) -> String {
    match id.quote_style {
        None => id.value.to_ascii_lowercase(),
        Some(_) => id.value.clone(),
    }
}

fn object_name(name: &sp::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [sp::ObjectNamePart::Identifier(id)] => {
            let name = ident(id);
            if name.is_empty() || name.len() > limits::SQL_NAME_BYTES_MAX {
                return invalid(format!(
                    "name {name:?}: 1 to {} bytes",
                    limits::SQL_NAME_BYTES_MAX
                ));
            }
            if name.chars().any(char::is_control) {
                return invalid(format!("name {name:?} holds control characters"));
            }
            Ok(name)
        }
        _ => unsupported(format!("qualified name {name}")),
    }
}

fn single_table(table: &sp::TableWithJoins) -> Result<String> {
    if !table.joins.is_empty() {
        return unsupported("JOIN");
    }
    match &table.relation {
        sp::TableFactor::Table { name, .. } => {
            if table.relation.to_string() != name.to_string() {
                return unsupported(format!("table alias or option in `{}`", table.relation));
            }
            object_name(name)
        }
        sp::TableFactor::Derived { .. } => unsupported("subquery in FROM"),
        other => unsupported(format!("FROM `{other}`")),
    }
}

fn index_column(column: &sp::IndexColumn) -> Result<(String, bool)> {
    if column.operator_class.is_some() || column.column.with_fill.is_some() {
        return unsupported(format!("index column option in `{}`", column.column));
    }
    if column.column.options.nulls_first.is_some() {
        return unsupported("NULLS FIRST/LAST in an index");
    }
    let descending = match &column.column.options.sort {
        None | Some(sp::OrderBySort::Asc) => false,
        Some(sp::OrderBySort::Desc) => true,
        Some(other) => return unsupported(format!("index order {other:?}")),
    };
    match &column.column.expr {
        sp::Expr::Identifier(id) => Ok((ident(id), descending)),
        other => unsupported(format!("index on expression `{other}`")),
    }
}

/// A column definition and whether it is declared `PRIMARY KEY`.
fn column_def(column: &sp::ColumnDef) -> Result<(ColumnDef, bool)> {
    let column_type = column_type(&column.data_type)?;
    let mut not_null = false;
    let mut primary_key = false;
    for option in &column.options {
        if option.name.is_some() {
            return unsupported("named column constraint");
        }
        match &option.option {
            sp::ColumnOption::NotNull => not_null = true,
            sp::ColumnOption::Null => {}
            sp::ColumnOption::PrimaryKey(pk)
                if pk.columns.is_empty()
                    && pk.name.is_none()
                    && pk.index_name.is_none()
                    && pk.index_type.is_none()
                    && pk.characteristics.is_none() =>
            {
                primary_key = true;
            }
            sp::ColumnOption::Default(_) => return unsupported("DEFAULT"),
            sp::ColumnOption::Unique(_) => {
                return unsupported("UNIQUE column constraint (use CREATE UNIQUE INDEX)");
            }
            other => return unsupported(format!("column option {other}")),
        }
    }
    let name = ident(&column.name);
    if name.is_empty() || name.len() > limits::SQL_NAME_BYTES_MAX {
        return invalid(format!(
            "column name {name:?}: 1 to {} bytes",
            limits::SQL_NAME_BYTES_MAX
        ));
    }
    Ok((
        ColumnDef {
            name,
            column_type,
            not_null,
        },
        primary_key,
    ))
}

fn column_type(data_type: &sp::DataType) -> Result<ColumnType> {
    use sp::DataType as D;
    Ok(match data_type {
        D::Int(None)
        | D::Integer(None)
        | D::BigInt(None)
        | D::SmallInt(None)
        | D::TinyInt(None)
        | D::Int4(None)
        | D::Int8(None)
        | D::Int64 => ColumnType::Integer,
        D::Real
        | D::Float(sp::ExactNumberInfo::None)
        | D::Double(sp::ExactNumberInfo::None)
        | D::DoublePrecision
        | D::Float4
        | D::Float8
        | D::Float64 => ColumnType::Real,
        D::Text | D::Varchar(None) | D::String(None) => ColumnType::Text { max_chars: None },
        D::Varchar(Some(sp::CharacterLength::IntegerLength { length, unit: None })) => {
            match u32::try_from(*length) {
                Ok(n) if n > 0 => ColumnType::Text { max_chars: Some(n) },
                _ => return invalid(format!("VARCHAR length {length}")),
            }
        }
        D::Boolean | D::Bool => ColumnType::Boolean,
        D::Bytea | D::Blob(None) | D::Bytes(None) => ColumnType::Bytes,
        D::Timestamp(None, sp::TimezoneInfo::None) => ColumnType::Timestamp,
        other => return unsupported(format!("column type {other}")),
    })
}

fn statement_name(statement: &sp::Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    format!("statement {}", words.join(" "))
}

/// A short name for an unsupported expression: its kind and text.
fn expr_name(expr: &sp::Expr) -> String {
    let kind = match expr {
        sp::Expr::Like { .. } | sp::Expr::ILike { .. } => "LIKE",
        sp::Expr::Function(_) => "function call",
        sp::Expr::Case { .. } => "CASE",
        sp::Expr::Cast { .. } => "CAST",
        sp::Expr::Exists { .. } => "EXISTS",
        sp::Expr::Subquery(_) => "scalar subquery",
        sp::Expr::IsDistinctFrom(..) | sp::Expr::IsNotDistinctFrom(..) => "IS DISTINCT FROM",
        sp::Expr::IsTrue(_) | sp::Expr::IsFalse(_) | sp::Expr::IsNotTrue(_) => "IS TRUE/FALSE",
        sp::Expr::Collate { .. } => "COLLATE",
        sp::Expr::Tuple(_) => "row value",
        sp::Expr::Interval(_) => "INTERVAL",
        _ => "expression",
    };
    let mut text = expr.to_string();
    if text.len() > 80 {
        let mut cut = 80;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{kind} `{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(sql: &str) -> Statement {
        parse(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .statement
    }

    #[test]
    fn accepts_the_subset() {
        ok("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, at TIMESTAMP)");
        ok("CREATE TABLE t (a INT, b TEXT, PRIMARY KEY (a, b))");
        ok("CREATE UNIQUE INDEX i ON t (a DESC, b)");
        ok("INSERT INTO t VALUES (1, 'a'), (2, NULL)");
        ok("INSERT INTO t (a) SELECT a FROM u WHERE a > 1");
        ok("UPDATE t SET a = a + 1 WHERE b IS NOT NULL");
        ok("DELETE FROM t WHERE a BETWEEN 1 AND 3");
        ok("SELECT COUNT(*) FROM t");
        ok("SELECT * FROM t WHERE a IN (1, 2) ORDER BY 1 DESC LIMIT 3 OFFSET 1");
        ok("DROP TABLE IF EXISTS t");
    }

    #[test]
    fn time_travel_and_parameters() {
        let parsed = parse("SELECT a FROM t WHERE a = ? AND b = ? AT POSITION ?").unwrap();
        assert_eq!(parsed.params, 3);
        let Statement::Select(select) = parsed.statement else {
            panic!()
        };
        assert_eq!(select.at, Some(AtClause::Position(Expr::Param(2))));
        let Statement::Select(select) =
            ok("SELECT a FROM t AS OF TIMESTAMP '2026-01-01T00:00:00Z'")
        else {
            panic!()
        };
        assert!(matches!(select.at, Some(AtClause::Timestamp(_))));
        assert_eq!(parse("SELECT $2 FROM t").unwrap().params, 2);
    }

    #[test]
    fn refuses_outside_the_subset() {
        for sql in [
            "SELECT DISTINCT a FROM t",
            "SELECT a FROM t GROUP BY a",
            "SELECT a FROM t JOIN u ON t.a = u.a",
            "SELECT a FROM t UNION SELECT a FROM u",
            "SELECT a FROM t WHERE b LIKE 'x%'",
            "CREATE TABLE t (a INT DEFAULT 1)",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "SELECT a FROM t FOR UPDATE",
            "SELECT a FROM t AS x",
        ] {
            assert!(
                matches!(parse(sql), Err(ParseError::Unsupported(_))),
                "{sql}: {:?}",
                parse(sql)
            );
        }
        assert!(matches!(parse("SELEC 1"), Err(ParseError::Syntax(_))));
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    /// Deep or long expressions are refused with `Invalid`, never by overflowing the stack
    /// (debug build, default test thread stack).
    #[test]
    fn deep_and_long_expressions_are_refused_without_overflowing_the_stack() {
        for depth in [100, 999, 1990, 5000] {
            let cases = [
                format!("SELECT {}1{} FROM t", "(".repeat(depth), ")".repeat(depth)),
                format!(
                    "SELECT a FROM t WHERE {}a = 1{}",
                    "NOT (".repeat(depth),
                    ")".repeat(depth)
                ),
                format!("SELECT a FROM t WHERE a = 1{}", " + 1".repeat(depth)),
                format!("SELECT a FROM t WHERE a = 1{}", " OR a = 1".repeat(depth)),
            ];
            for sql in cases {
                match parse(&sql) {
                    Ok(_) | Err(ParseError::Limit(_)) => {}
                    Err(other) => panic!("depth {depth}: {other:?}"),
                }
            }
        }
    }
}
