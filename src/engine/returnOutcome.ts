/**
 * The outcome of one return calculation in the engine. Data problems never throw inside the
 * engine (a batch isolates portfolios); they come back as status 'invalid_input' with a message
 * naming the date or flow, which the period functions put in the result's warnings.
 */
export type ReturnOutcome =
  | { status: 'ok'; value: number }
  | { status: 'invalid_input'; value: null; message: string };

export function okReturn(value: number): ReturnOutcome {
  return { status: 'ok', value };
}

export function invalidReturn(message: string): ReturnOutcome {
  return { status: 'invalid_input', value: null, message };
}
