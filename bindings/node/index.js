'use strict'
// The `veritydb` package (CommonJS): the native addon, loaded by the `binding.js` that
// `napi build` writes, plus the three conveniences that need JS itself. Everything else — and
// every type, in index.d.ts — comes from the Rust sources in src/.

const native = require('./binding.js')

const { Database, Tenant } = native

/** An `Error` with a stable `code`, like the ones the addon throws. */
function veritydbError(code, message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause })
  error.code = code
  return error
}

// tenant.batch(async (tx) => { ... }): commit what the callback added, or nothing if it throws.
Tenant.prototype.batch = async function batch(fn) {
  if (typeof fn !== 'function') {
    throw veritydbError('VERITYDB_INVALID_ARGUMENT', 'fn must be a function: tenant.batch(async (tx) => { ... })')
  }
  const tx = this.newBatch()
  await fn(tx)
  return tx.commit()
}

// tenant.export(pathOrWritable, options): the addon writes files; a writable stream is fed from
// an ExportStream here, waiting for 'drain' so that a slow stream holds the export back.
const exportToFile = Tenant.prototype.export
Tenant.prototype.export = async function exportTo(destination, options) {
  if (!isWritable(destination)) return exportToFile.call(this, destination, options)
  const stream = this.exportStream(options)
  let failure = null
  const onError = (error) => {
    failure ??= error
  }
  destination.on('error', onError)
  try {
    for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) {
      if (failure) break
      if (!destination.write(chunk)) await drained(destination)
    }
    if (failure) throw failure
    return stream.summary
  } catch (error) {
    if (typeof error?.code === 'string' && error.code.startsWith('VERITYDB_')) throw error
    throw veritydbError('VERITYDB_IO', `writing the export failed: ${error?.message ?? error}`, error)
  } finally {
    destination.off('error', onError)
    stream.cancel()
  }
}

function isWritable(value) {
  return value !== null && typeof value === 'object' && typeof value.write === 'function' && typeof value.on === 'function'
}

/** Resolves on 'drain'; rejects on 'error' or 'close'. */
function drained(writable) {
  return new Promise((resolve, reject) => {
    const settle = (error) => {
      writable.off('drain', onDrain)
      writable.off('error', onError)
      writable.off('close', onClose)
      if (error) reject(error)
      else resolve()
    }
    const onDrain = () => settle()
    const onError = (error) => settle(error)
    const onClose = () => settle(new Error('the destination stream closed before the export was written'))
    writable.on('drain', onDrain)
    writable.on('error', onError)
    writable.on('close', onClose)
  })
}

// `await using db = await open(path)` (Node 20.4+ defines Symbol.asyncDispose).
if (typeof Symbol.asyncDispose === 'symbol') {
  Database.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.close()
  }
}

module.exports = native
