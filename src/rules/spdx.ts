/**
 * packaging's `canonicalize_license_expression` validity (packaging/licenses): the SPDX grammar as
 * packaging checks it (operands, AND/OR/WITH, balanced parentheses) and every id known to its
 * SPDX tables (data/spdx.json) or a well-formed `LicenseRef-`. Returns packaging's reason, or
 * undefined for a valid expression.
 */
import { SPDX_EXCEPTIONS, SPDX_LICENSES } from "./data.js";

const OPERATORS = new Set(["or", "and", "with", "(", ")"]);
const LICENSE_REF = /^[A-Za-z0-9.-]*$/;

/**
 * packaging turns the tokens into a Python expression of `False`, `or`, `and` and parentheses and
 * compiles it: valid when it reads `term ((or|and) term)*`, term = `False` or `( expr )`.
 */
function grammarHolds(tokens: string[]): boolean {
  let i = 0;
  const term = (): boolean => {
    if (tokens[i] === "False") {
      i++;
      return true;
    }
    if (tokens[i] !== "(") return false;
    i++;
    if (!expr() || tokens[i] !== ")") return false;
    i++;
    return true;
  };
  const expr = (): boolean => {
    if (!term()) return false;
    while (tokens[i] === "or" || tokens[i] === "and") {
      i++;
      if (!term()) return false;
    }
    return true;
  };
  return expr() && i === tokens.length;
}

export function licenseExpressionProblem(raw: string): string | undefined {
  const invalid = `Invalid license expression: '${raw}'`;
  if (!raw) return invalid;
  const tokens = raw.replaceAll("(", " ( ").replaceAll(")", " ) ").toLowerCase().split(/\s+/);
  const words = tokens.filter((t) => t !== "");
  const python: string[] = [];
  for (const token of words) {
    const last = python[python.length - 1];
    if (!OPERATORS.has(token)) python.push("False");
    else if (token === "with") python.push("or");
    else if (
      (token === "(" && last !== undefined && !["or", "and", "("].includes(last)) ||
      (token === ")" && last === "(")
    )
      return invalid;
    else python.push(token);
  }
  if (!grammarHolds(python)) return invalid;
  let previous = "";
  for (const token of words) {
    if (OPERATORS.has(token)) {
      previous = token;
      continue;
    }
    if (previous === "with") {
      if (!(token in SPDX_EXCEPTIONS)) return `Unknown license exception: '${token}'`;
    } else {
      const id = token.endsWith("+") ? token.slice(0, -1) : token;
      if (id.startsWith("licenseref-")) {
        if (!LICENSE_REF.test(id)) return `Invalid licenseref: '${id}'`;
      } else if (!(id in SPDX_LICENSES)) return `Unknown license: '${id}'`;
    }
    previous = token;
  }
  return undefined;
}
