// gen's differential oracle: reads a JSON array of requests on stdin, runs each through
// @cloud-copilot/iam-simulate (an independent implementation of AWS's evaluation logic) and
// prints a JSON array of answers, one per request, in order.
//
// A request: {principal, action, resource, resourceAccount, context, identityPolicies,
// resourcePolicy}. An answer: {result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" |
// "error", errors?: string, ignoredContextKeys?: string[], unchecked?: string}.
//
// When iam-simulate's validation refuses only the pairing of action and resource type (its
// IAM data knows no such resource type for the action), the request is decided without that
// validation and `unchecked` says what was skipped; policy errors stay errors.
const UNCHECKED = new Set(['no.resource.types', 'multiple.resource.types'])
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function answer(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context ?? {}
    },
    identityPolicies: (request.identityPolicies ?? []).map((policy, i) => ({
      name: `identity${i}`,
      policy
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (request.resourcePolicy) simulation.resourcePolicy = request.resourcePolicy
  try {
    const response = await runSimulation(simulation, {})
    if (response.resultType === 'error') {
      if (UNCHECKED.has(response.errors.message)) {
        const unchecked = { ...simulation }
        if (simulation.resourcePolicy) {
          // validated above; wrapped so that the unvalidated run names it
          unchecked.resourcePolicy = createValidatedPolicy(
            simulation.resourcePolicy,
            validateResourcePolicy,
            { name: 'resourcePolicy' }
          )
        }
        const result = runUnsafeSimulation(unchecked, {})
        return { result, ignoredContextKeys: [], unchecked: response.errors.message }
      }
      return { result: 'error', errors: JSON.stringify(response.errors) }
    }
    const ignored =
      response.resultType === 'single'
        ? (response.result.ignoredContextKeys ?? [])
        : response.results.flatMap((r) => r.ignoredContextKeys ?? [])
    return { result: response.overallResult, ignoredContextKeys: ignored }
  } catch (error) {
    return { result: 'error', errors: String(error) }
  }
}

const requests = JSON.parse(await readStdin())
const answers = []
for (const request of requests) answers.push(await answer(request))
process.stdout.write(JSON.stringify(answers))
