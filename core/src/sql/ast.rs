//! The SQL subset as a small syntax tree of its own: what `parse` accepts from `sqlparser`'s
//! tree, with names still unresolved. Everything here is inside the subset by construction;
//! anything outside was refused by the parser with an `Unsupported` error naming it.

use super::value::{ColumnType, Value};

/// One parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    CreateTable(CreateTable),
    DropTable { name: String, if_exists: bool },
    CreateIndex(CreateIndex),
    DropIndex { name: String, if_exists: bool },
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Select(Select),
}

impl Statement {
    /// Whether the statement reads only.
    pub(crate) fn is_query(&self) -> bool {
        matches!(self, Statement::Select(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub(crate) name: String,
    pub(crate) column_type: ColumnType,
    pub(crate) not_null: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateTable {
    pub(crate) name: String,
    pub(crate) columns: Vec<ColumnDef>,
    pub(crate) primary_key: Vec<String>,
    pub(crate) if_not_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CreateIndex {
    pub(crate) name: String,
    pub(crate) table: String,
    /// Column names, each with `true` for DESC.
    pub(crate) columns: Vec<(String, bool)>,
    pub(crate) unique: bool,
    pub(crate) if_not_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Insert {
    pub(crate) table: String,
    pub(crate) columns: Option<Vec<String>>,
    pub(crate) source: InsertSource,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InsertSource {
    Values(Vec<Vec<Expr>>),
    Select(Box<Select>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Update {
    pub(crate) table: String,
    pub(crate) assignments: Vec<(String, Expr)>,
    pub(crate) filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delete {
    pub(crate) table: String,
    pub(crate) filter: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub(crate) from: Option<String>,
    pub(crate) items: Vec<SelectItem>,
    pub(crate) filter: Option<Expr>,
    pub(crate) order_by: Vec<OrderItem>,
    pub(crate) limit: Option<Expr>,
    pub(crate) offset: Option<Expr>,
    pub(crate) at: Option<AtClause>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SelectItem {
    Wildcard,
    Expr { expr: Expr, name: String },
    CountStar { name: String },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderItem {
    pub(crate) key: OrderKey,
    pub(crate) descending: bool,
    /// `NULLS FIRST` / `NULLS LAST`; by default NULLs sort first ascending, last descending.
    pub(crate) nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderKey {
    /// 1-based position in the select list.
    Position(usize),
    Expr(Expr),
}

/// `AT POSITION n` or `AS OF TIMESTAMP t` at the end of a SELECT.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AtClause {
    Position(Expr),
    Timestamp(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl BinaryOp {
    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }

    pub(crate) fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod
        )
    }

    /// The comparison with its operands swapped (`a < b` is `b > a`).
    pub(crate) fn flipped(self) -> BinaryOp {
        match self {
            BinaryOp::Lt => BinaryOp::Gt,
            BinaryOp::LtEq => BinaryOp::GtEq,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::GtEq => BinaryOp::LtEq,
            other => other,
        }
    }
}

/// An expression; `C` is how columns are named: `String` when parsed, `usize` when bound.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr<C = ColumnName> {
    Column(C),
    Literal(Value),
    /// 0-based parameter index (`?` in order, or `$n` - 1).
    Param(usize),
    Neg(Box<Expr<C>>),
    Not(Box<Expr<C>>),
    Binary(BinaryOp, Box<Expr<C>>, Box<Expr<C>>),
    /// `a AND b AND ...`, flattened so long chains do not nest.
    And(Vec<Expr<C>>),
    /// `a OR b OR ...`, flattened.
    Or(Vec<Expr<C>>),
    IsNull(Box<Expr<C>>, bool),
    InList(Box<Expr<C>>, Vec<Expr<C>>, bool),
    Between(Box<Expr<C>>, Box<Expr<C>>, Box<Expr<C>>, bool),
    /// `expr [NOT] IN (SELECT one_column FROM ...)`, uncorrelated.
    InSelect(Box<Expr<C>>, Box<Select>, bool),
}

/// A column as written: an optional table qualifier and the column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnName {
    pub(crate) table: Option<String>,
    pub(crate) name: String,
}
