/** A config field by its path, e.g. ["model_list", 0, "provider"]. */
export type PathSegments = Array<string | number>;

/** What validate-config reports about one field: the schema cannot express it (references, required values, provider params). */
export interface SemanticProblem {
  segments: PathSegments;
  message: string;
}
