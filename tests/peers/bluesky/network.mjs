// Starts atproto's own TestNetwork (PLC, PDS, AppView, Ozone, Bsync) for tamtam's Bluesky tests.
//
//   node --require ./preload.cjs network.mjs [--pds-port N] [--appview-port N] [--plc-port N] [--ozone-port N]
//
// Ports not given are chosen free by the stack itself. Needs DB_POSTGRES_URL (a fresh database) and
// REDIS_HOST (host:port). Prints one line `TAMTAM_BSKY_READY {json}` with the URLs once it serves, and a
// control URL: GET /process-all makes the AppView catch up with the PDS now (tests then poll for what
// they wait for). Stops on SIGTERM/SIGINT or when stdin closes (the parent test process went away).
import http from 'node:http'
import { TestNetwork } from '@atproto/dev-env'

// `{ port: N }` when --NAME-port N is given, else `{}`: the stack spreads these objects over its own
// settings, so a `port: undefined` would erase the free port it picked.
function portOf(name) {
  const i = process.argv.indexOf(`--${name}-port`)
  return i > 0 ? { port: Number(process.argv[i + 1]) } : {}
}

const network = await TestNetwork.create({
  dbPostgresSchema: 'tamtam',
  plc: portOf('plc'),
  // Rate limits on, as on bsky.social: the PDS then sends its ratelimit-* headers, which tamtam reads.
  pds: { ...portOf('pds'), rateLimitsEnabled: true },
  bsky: portOf('appview'),
  ozone: portOf('ozone'),
})

// One catch-up at a time: overlapping processAll calls would race on the subscription cursor.
let running = Promise.resolve()
function processAll() {
  running = running.then(() => network.processAll(10000)).catch((err) => {
    console.error('processAll failed:', err?.message ?? err)
  })
  return running
}
const timer = setInterval(processAll, 500)

const control = http.createServer(async (req, res) => {
  if (req.url === '/process-all') {
    await processAll()
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  } else {
    res.writeHead(404).end()
  }
})
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve))

const loopback = (url) => url.replace('//localhost:', '//127.0.0.1:')
console.log(
  'TAMTAM_BSKY_READY ' +
    JSON.stringify({
      pds: loopback(network.pds.url),
      appview: loopback(network.bsky.url),
      plc: loopback(network.plc.url),
      ozone: loopback(network.ozone.url),
      control: `http://127.0.0.1:${control.address().port}`,
    }),
)

let closing = false
async function shutdown(signal) {
  if (closing) return
  closing = true
  clearInterval(timer)
  control.close()
  try {
    await running
    await network.close()
  } catch (err) {
    console.error(`close after ${signal} failed:`, err?.message ?? err)
  }
  process.exit(0)
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
process.stdin.on('end', () => shutdown('stdin closed'))
process.stdin.resume()
