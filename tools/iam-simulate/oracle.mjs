// gen's differential oracle: reads a JSON array of requests on stdin, runs each through
// @cloud-copilot/iam-simulate (an independent implementation of AWS's evaluation logic) and
// prints a JSON array of answers, one per request, in order.
//
// A request: {principal, action, resource, resourceAccount, context, identityPolicies,
// resourcePolicy}. An answer: {result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" |
// "error", errors?: string, ignoredContextKeys?: string[]}.
import { runSimulation } from '@cloud-copilot/iam-simulate'

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
