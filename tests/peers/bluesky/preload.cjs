// Keeps every server of the AT Protocol test stack on loopback. The services call `listen(port)`
// without a host, i.e. on every interface; this fills in 127.0.0.1 when no host is given.
'use strict'
const net = require('node:net')
const dns = require('node:dns')

// "localhost" URLs inside the stack must reach the IPv4 loopback the servers now listen on.
dns.setDefaultResultOrder('ipv4first')

const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    if (args.length === 1 || typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && !args[0].path && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  } else if (args.length === 0 || typeof args[0] === 'function') {
    args.unshift(0, '127.0.0.1')
  }
  return listen.apply(this, args)
}
