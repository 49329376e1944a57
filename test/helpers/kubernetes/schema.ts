// Schema validation with kubernetes-models 4.x (the OpenAPI schema of the Kubernetes minor it
// bundles, pinned by the installed version): every object a client sends is checked against its kind.
import {Deployment, ReplicaSet} from 'kubernetes-models/apps/v1'
import {Scale} from 'kubernetes-models/autoscaling/v1'
import {CronJob, Job} from 'kubernetes-models/batch/v1'
import {EndpointSlice} from 'kubernetes-models/discovery.k8s.io/v1'
import {Ingress, NetworkPolicy} from 'kubernetes-models/networking.k8s.io/v1'
import {ClusterRole, ClusterRoleBinding, Role, RoleBinding} from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import {
  ConfigMap,
  Event,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1'

interface Validatable {
  validate(): void
}
type ModelClass = new (data: never) => Validatable

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Event': Event,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/ReplicaSet': ReplicaSet,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'discovery.k8s.io/v1/EndpointSlice': EndpointSlice,
  'autoscaling/v1/Scale': Scale,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
}

export function knownModel(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in MODELS
}

/**
 * Validates `object` as `apiVersion`/`kind`; returns the schema errors, or undefined when valid.
 * Throws for a kind this helper has no model for (add it to MODELS).
 */
export function schemaErrors(apiVersion: string, kind: string, object: unknown): string | undefined {
  const Model = MODELS[`${apiVersion}/${kind}`]
  if (!Model) throw new Error(`no kubernetes-models class for ${apiVersion} ${kind}`)
  try {
    new Model({...(object as object), apiVersion, kind} as never).validate()
    return undefined
  } catch (error) {
    const errors = (error as {errors?: {instancePath?: string; message?: string}[]}).errors
    if (Array.isArray(errors)) return errors.map((e) => `${e.instancePath || '/'}: ${e.message}`).join('; ')
    return (error as Error).message
  }
}
