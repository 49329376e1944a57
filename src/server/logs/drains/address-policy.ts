// Where a drain may send an app's lines. A drain URL is chosen by whoever can add a drain, and the
// lines in it by anyone who can reach the app (the router logs every request path), so a drain to
// 127.0.0.1:5055, 169.254.169.254 or a database on the private network would let an outsider
// make the control plane talk to what only it can reach. Public addresses only, unless the
// server is started with --allow-private-drains; checked when a drain is added (the URL) and
// again at every connect, on the address DNS gave (the socket connects to exactly that address,
// so a name cannot resolve to a public address for the check and a private one for the connect).
import {lookup as dnsLookup, type LookupAddress, type LookupAllOptions} from 'node:dns'
import {isIP, type LookupFunction} from 'node:net'

export const ALLOW_PRIVATE_HINT = 'start the control plane with --allow-private-drains to allow private addresses (a listener on this machine or the local network)'

type Range = readonly [base: bigint, prefix: number, what: string]

function v4(text: string): bigint {
  return text.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)
}

/** IPv4 ranges a drain may not reach (RFC 6890's special-purpose registry, the ones that matter). */
const V4_RANGES: readonly Range[] = [
  [v4('0.0.0.0'), 8, 'an unspecified address'],
  [v4('10.0.0.0'), 8, 'a private address'],
  [v4('100.64.0.0'), 10, 'a private address (shared address space)'],
  [v4('127.0.0.0'), 8, 'a loopback address'],
  [v4('169.254.0.0'), 16, 'a link-local address'],
  [v4('172.16.0.0'), 12, 'a private address'],
  [v4('192.0.0.0'), 24, 'a reserved address'],
  [v4('192.168.0.0'), 16, 'a private address'],
  [v4('198.18.0.0'), 15, 'a private address (benchmarking)'],
  [v4('255.255.255.255'), 32, 'the broadcast address'],
  [v4('224.0.0.0'), 4, 'a multicast address'],
  [v4('240.0.0.0'), 4, 'a reserved address'],
]

function inRange(value: bigint, bits: number, [base, prefix]: Range): boolean {
  const shift = BigInt(bits - prefix)
  return value >> shift === base >> shift
}

/** The 128-bit value of an IPv6 address (with or without an embedded dotted IPv4 tail). */
function v6(text: string): bigint {
  let address = text.toLowerCase().replace(/%.*$/, '')
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1]
  if (dotted !== undefined) {
    const value = v4(dotted)
    address = `${address.slice(0, -dotted.length)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`
  }
  const [head = '', tail] = address.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : Array.from({length: 8 - headParts.length - tailParts.length}, () => '0')
  return [...headParts, ...zeros, ...tailParts].reduce((n, part) => (n << 16n) | BigInt(Number.parseInt(part, 16)), 0n)
}

const V6_RANGES: readonly Range[] = [
  [0n, 128, 'an unspecified address'],
  [1n, 128, 'a loopback address'],
  [v6('fc00::'), 7, 'a private address (unique local)'],
  [v6('fe80::'), 10, 'a link-local address'],
  [v6('fec0::'), 10, 'a private address (site-local)'],
  [v6('ff00::'), 8, 'a multicast address'],
]

/** IPv6 forms that carry an IPv4 address in their last 32 bits: what a drain reaches is that one. */
const V6_EMBEDDING_V4: readonly Range[] = [
  [v6('::ffff:0:0'), 96, 'IPv4-mapped'],
  [0n, 96, 'IPv4-compatible'],
  [v6('64:ff9b::'), 96, 'NAT64'],
]

/**
 * What kind of address `ip` is when a drain may not send to it ("a loopback address"...), or
 * undefined for a public one (and for anything that is not an IP address: names are resolved first).
 */
export function addressProblem(ip: string): string | undefined {
  const family = isIP(ip)
  if (family === 4) return V4_RANGES.find((range) => inRange(v4(ip), 32, range))?.[2]
  if (family !== 6) return undefined
  const value = v6(ip)
  const own = V6_RANGES.find((range) => inRange(value, 128, range))
  if (own) return own[2]
  if (V6_EMBEDDING_V4.some((range) => inRange(value, 128, range))) return embeddedProblem(value, 'IPv6')
  // 6to4 (2002::/16) carries an IPv4 address in bits 16-48.
  if (value >> 112n === 0x2002n) return embeddedProblem(value >> 80n, '6to4')
  return undefined
}

/** The problem of the IPv4 address in the low 32 bits of `value`, saying how it was carried. */
function embeddedProblem(value: bigint, form: string): string | undefined {
  const embedded = value & 0xffffffffn
  const dotted = [24n, 16n, 8n, 0n].map((shift) => String((embedded >> shift) & 0xffn)).join('.')
  const problem = addressProblem(dotted)
  return problem === undefined ? undefined : `${problem} (${dotted}, as ${form})`
}

/**
 * Why a drain URL's host may not be used, judged without DNS: an IP literal in a refused range,
 * or `localhost` and its sub-domains (which resolve to loopback by definition, RFC 6761).
 * Names are judged again, resolved, at connect time.
 */
export function hostProblem(host: string): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '')
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'a loopback address'
  return addressProblem(bare)
}

/** The refusal a drain reports when it will not connect to `address` (reached through `host`). */
export class DrainAddressRefused extends Error {
  readonly code = 'EDRAINADDRESS'
  constructor(host: string, address: string, problem: string) {
    super(`drain to ${host}: not connecting to ${address}, ${problem}; ${ALLOW_PRIVATE_HINT}`)
    this.name = 'DrainAddressRefused'
  }
}

/** dns.lookup asked for every address (a test gives its own answers). */
export type Resolve = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

/**
 * A `lookup` for net.connect and tls.connect that answers only public addresses: the socket then
 * connects to the very address checked here. A name with no such address fails the connect with
 * `refuse`'s error (a drain's DrainAddressRefused by default; buildpack fetches give their own).
 */
export function guardedLookup(
  resolve: Resolve = dnsLookup,
  refuse: (host: string, address: string, problem: string) => Error = (host, address, problem) => new DrainAddressRefused(host, address, problem),
): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = {...options, all: true}
    resolve(hostname, all, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      const allowed = addresses.filter((a) => addressProblem(a.address) === undefined)
      const first = allowed[0]
      if (first === undefined) {
        const refused = addresses[0]
        const failure = refused ? refuse(hostname, refused.address, addressProblem(refused.address) ?? '') : Object.assign(new Error(`${hostname}: no address`), {code: 'ENOTFOUND'})
        return callback(failure, '', 0)
      }
      // net's autoSelectFamily asks for every address (options.all); a plain connect for one.
      if (options.all) return callback(null, allowed)
      callback(null, first.address, first.family)
    })
  }
}
