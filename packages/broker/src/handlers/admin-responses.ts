// Error entries shared by the admin handlers on the client listener (handlers/) and on the
// CONTROLLER listener (controller/driver/): one error for every resource or topic of a request.

/** Every config resource of a request answered with one error. */
export function resourceErrors(
  resources: readonly { resourceType: number; resourceName: string }[],
  errorCode: number,
  errorMessage: string | null,
): { errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[] {
  return resources.map((r) => ({
    errorCode,
    errorMessage,
    resourceType: r.resourceType,
    resourceName: r.resourceName,
  }));
}

/** Every named topic of a request answered with one error. */
export function topicErrors<N>(
  topics: readonly { name: N }[],
  errorCode: number,
  errorMessage: string | null,
): { name: N; errorCode: number; errorMessage: string | null }[] {
  return topics.map((t) => ({ name: t.name, errorCode, errorMessage }));
}
