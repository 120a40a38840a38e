/** Operation metrics as commits record them. */

/** Delta Spark writes `operationMetrics` values as strings; readers of the history expect that. */
export function stringMetrics(metrics: object): Record<string, string> {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, String(value)]));
}
