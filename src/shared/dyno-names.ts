// Dyno names on the Kubernetes backend follow the pods (issue 18), as on Heroku's Fir generation:
// `web-848cd4f64d-pvpr2` is a Deployment's pod (`<type>-<pod-template hash>-<5 random>`). Every
// place that reads a process type out of a dyno name (`web` for `web.1`) reads it out of these too.
const DEPLOYMENT_POD = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)-[a-z0-9]{6,10}-[a-z0-9]{5}$/

/** The process type of a Deployment pod's name (`web` for `web-848cd4f64d-pvpr2`); undefined for any other name. */
export function podDynoType(name: string): string | undefined {
  return DEPLOYMENT_POD.exec(name)?.[1]
}
