//! [`Job`]: how every call that touches disk or network becomes a Promise that runs off the JS
//! thread.
//!
//! A method checks and converts its arguments on the JS thread, then returns
//! `AsyncTask<Job<T>>`: napi hands `work` to libuv's thread pool (`compute`), and back on the
//! JS thread `resolve` turns its result into JS values (or into the JS `Error` with a `code`
//! the Promise rejects with). Arguments that fail to convert make a job that is already
//! failed, so a bad argument rejects the Promise instead of throwing synchronously.

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, Unknown};
use napi::{Env, ScopedTask};

use crate::errors::BindingError;

/// The blocking work of a job, run on a libuv worker thread.
type Work<T> = Box<dyn FnOnce() -> Result<T, BindingError> + Send>;

/// Turns a job's result into a JS value on the JS thread.
pub(crate) type ToJs<T> = for<'env> fn(&'env Env, T) -> Result<Unknown<'env>, BindingError>;

/// One call's work and the conversion of its result.
pub struct Job<T: Send + 'static> {
    /// `Err` when the arguments were refused before any work; taken by `compute`.
    work: Option<Result<Work<T>, BindingError>>,
    to_js: ToJs<T>,
}

impl<T: Send + 'static> Job<T> {
    /// A job running `work` whose result `to_js` converts.
    pub(crate) fn spawn(
        work: impl FnOnce() -> Result<T, BindingError> + Send + 'static,
        to_js: ToJs<T>,
    ) -> AsyncTask<Job<T>> {
        AsyncTask::new(Job {
            work: Some(Ok(Box::new(work))),
            to_js,
        })
    }

    /// `prepare` runs on the JS thread (argument conversion); its failure rejects the Promise.
    pub(crate) fn after<A: Send + 'static>(
        prepared: Result<A, BindingError>,
        work: impl FnOnce(A) -> Result<T, BindingError> + Send + 'static,
        to_js: ToJs<T>,
    ) -> AsyncTask<Job<T>> {
        let work = prepared.map(|arguments| -> Work<T> { Box::new(move || work(arguments)) });
        AsyncTask::new(Job {
            work: Some(work),
            to_js,
        })
    }
}

impl<T: ToNapiValue + Send + 'static> Job<T> {
    /// The conversion for results napi converts by itself (classes, `#[napi(object)]`s,
    /// strings, `u64` as `bigint`, `()` as `undefined`).
    pub(crate) fn plain<'env>(env: &'env Env, value: T) -> Result<Unknown<'env>, BindingError> {
        Ok(value.into_unknown(env)?)
    }
}

impl<'task, T: Send + 'static> ScopedTask<'task> for Job<T> {
    type Output = Result<T, BindingError>;
    type JsValue = Unknown<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(match self.work.take() {
            Some(Ok(work)) => work(),
            Some(Err(refused)) => Err(refused),
            None => Err(BindingError::new(
                crate::errors::ErrorCode::Internal,
                "a job ran twice (a bug in veritydb's Node binding)",
            )),
        })
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> napi::Result<Unknown<'task>> {
        output
            .and_then(|value| (self.to_js)(env, value))
            .map_err(|e| e.into_napi(env))
    }
}
