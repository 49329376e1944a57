// The NetworkPolicy of every app namespace (isolation: no app can harm another or the platform).
// Ingress: only from the control plane's namespace (its router, on the container port); the pods of
// other apps cannot reach this app's pods. Egress: DNS, the control plane's API port (the slug
// fetch: a NetworkPolicy cannot say "only the path /slugs/", so the whole port is open, and the
// API answers nothing else without a token), and the internet, but no private address: not the
// cluster's API server, not other pods or nodes, not the cloud's metadata service.
// It takes a CNI that enforces NetworkPolicy (Calico, Cilium, ...); others ignore it silently.
import {isIP} from 'node:net'

import type {V1NetworkPolicy, V1NetworkPolicyPeer} from '@kubernetes/client-node'

import {CONTAINER_PORT, LABEL_APP, LABEL_MANAGED_BY} from './manifests.js'

export const NETWORK_POLICY_NAME = 'tug-isolation'
/** Where the control plane runs when it cannot tell (docs/kubernetes.md installs it there). */
export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'tug'
/** Private, shared, link-local and loopback ranges: the cluster's own addresses live there. */
export const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8']
export const PRIVATE_V6 = ['fc00::/7', 'fe80::/10', '::1/128']

export interface NetworkPolicyInput {
  appName: string
  /** The control plane's namespace: its router reaches the pods, the pods reach its slug route. */
  controlPlaneNamespace: string
  /** Where pods fetch slugs (--slug-url-base): its port is opened, and its address if it is one. */
  slugUrlBase: string
}

function namespacePeer(name: string): V1NetworkPolicyPeer {
  return {namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': name}}}
}

/** The slug URL's port (its scheme's default if none) and, when its host is an IP, that IP. */
export function slugEndpoint(slugUrlBase: string): {port: number; ip?: string} {
  const url = new URL(slugUrlBase)
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return isIP(host) ? {port, ip: host} : {port}
}

export function buildNetworkPolicy(input: NetworkPolicyInput): V1NetworkPolicy {
  const slug = slugEndpoint(input.slugUrlBase)
  const controlPlane = namespacePeer(input.controlPlaneNamespace)
  const slugPeers: V1NetworkPolicyPeer[] = [controlPlane]
  if (slug.ip) slugPeers.push({ipBlock: {cidr: `${slug.ip}/${isIP(slug.ip) === 6 ? 128 : 32}`}})
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {name: NETWORK_POLICY_NAME, labels: {[LABEL_APP]: input.appName, [LABEL_MANAGED_BY]: 'tug'}},
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{_from: [controlPlane], ports: [{protocol: 'TCP', port: CONTAINER_PORT}]}],
      egress: [
        {
          to: [namespacePeer('kube-system')],
          ports: [
            {protocol: 'UDP', port: 53},
            {protocol: 'TCP', port: 53},
          ],
        },
        {to: slugPeers, ports: [{protocol: 'TCP', port: slug.port}]},
        {
          to: [
            {ipBlock: {cidr: '0.0.0.0/0', except: PRIVATE_V4}},
            {ipBlock: {cidr: '::/0', except: PRIVATE_V6}},
          ],
        },
      ],
    },
  }
}
