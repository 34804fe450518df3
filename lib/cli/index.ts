#!/usr/bin/env node
// The `pancake` executable. Everything happens in main(); this file only
// connects it to the process.
import { main } from './main.js'

function flush (stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => { stream.write('', () => { resolve() }) })
}

// Closing an app whose Redis never connected, a plugin of the app may
// reject a promise nobody awaits (@fastify/redis quits a closed connection).
// Once the command has given its answer, such leftovers must not add a
// crash report to it; before that, they fail the command as usual.
let answered = false
process.on('unhandledRejection', (err) => {
  if (answered) return
  process.stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`)
  process.exit(1)
})

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  answered: () => { answered = true }
})
  .catch((err: unknown) => {
    process.stderr.write(`Error: ${(err as Error)?.stack ?? String(err)}\n`)
    return 1
  })
  .then(async (status) => {
    // The app is closed by now; whatever it left behind (a timer, a client
    // it never closes) must not keep the command from returning.
    await Promise.all([flush(process.stdout), flush(process.stderr)])
    process.exit(status)
  })
