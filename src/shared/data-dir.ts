// Where a control plane keeps what the CLI also reads in a local data directory: the CLI trusts
// the rendezvous CA of the embedded control plane it points at (<dataDir>/rendezvous/ca.pem).
export const RENDEZVOUS_DIR = 'rendezvous'
