/** How a change lands on a client built against the base: the gate stops `breaking` ones. */
export type Class = 'breaking' | 'warning' | 'safe';

/** One difference between two versions of a service's contract. */
export interface Change {
  kind: Kind;
  /** Where, as a client names it: an operation (`POST /tasks`), a webhook, or the catalog. */
  scope: string;
  /** What in it: `` `data.name` of the 200 response ``, `error TASK_NOT_FOUND (807)`. */
  subject: string;
  /** The value before and after, in words, where the kind has them. */
  before?: string;
  after?: string;
}

interface Rule {
  class: Class;
  /** The rule's name, shown in brackets after each change it classifies. */
  rule: string;
  says: (change: Change) => string;
}

const at = (change: Change) => `${change.scope}: ${change.subject}`;

/**
 * Every kind of change the diff finds, after oasdiff's breaking-change rules. A client sends
 * requests and reads responses, so the same edit flips class with the direction: a narrower
 * request type refuses what clients send (breaking), a wider response type gives them values
 * their code has no branch for (warning: they switch on it).
 */
export const rules = {
  'operation-removed': {
    class: 'breaking',
    rule: 'removed operation',
    says: (c) => `${c.scope} was removed`,
  },
  'operation-added': { class: 'safe', rule: 'new operation', says: (c) => `${c.scope} was added` },
  'operation-deprecated': {
    class: 'warning',
    rule: 'deprecated operation',
    says: (c) => `${c.scope} is now deprecated`,
  },
  'webhook-removed': {
    class: 'breaking',
    rule: 'removed webhook',
    says: (c) => `${c.scope} is no longer sent`,
  },
  'webhook-added': { class: 'safe', rule: 'new webhook', says: (c) => `${c.scope} was added` },
  'parameter-removed': {
    class: 'warning',
    rule: 'removed parameter',
    says: (c) => `${c.scope} no longer takes the ${c.subject}`,
  },
  'parameter-added-required': {
    class: 'breaking',
    rule: 'new required parameter',
    says: (c) => `${c.scope} requires a new ${c.subject}`,
  },
  'parameter-added': {
    class: 'safe',
    rule: 'new optional parameter',
    says: (c) => `${c.scope} takes a new optional ${c.subject}`,
  },
  'parameter-became-required': {
    class: 'breaking',
    rule: 'parameter now required',
    says: (c) => `${c.scope}: the ${c.subject} is now required`,
  },
  'parameter-became-optional': {
    class: 'safe',
    rule: 'parameter now optional',
    says: (c) => `${c.scope}: the ${c.subject} is now optional`,
  },
  'request-body-became-required': {
    class: 'breaking',
    rule: 'request body now required',
    says: (c) => `${c.scope} now requires a request body`,
  },
  'request-body-became-optional': {
    class: 'safe',
    rule: 'request body now optional',
    says: (c) => `${c.scope}: the request body is now optional`,
  },
  'request-body-removed': {
    class: 'warning',
    rule: 'removed request body',
    says: (c) => `${c.scope} no longer takes a request body`,
  },
  'request-media-type-removed': {
    class: 'breaking',
    rule: 'removed request media type',
    says: (c) => `${c.scope} no longer accepts ${c.subject} bodies`,
  },
  'request-media-type-added': {
    class: 'safe',
    rule: 'new request media type',
    says: (c) => `${c.scope} also accepts ${c.subject} bodies`,
  },
  'request-property-removed': {
    class: 'warning',
    rule: 'removed request field',
    says: (c) => `${at(c)} was removed (the server ignores it now)`,
  },
  'request-property-refused': {
    class: 'breaking',
    rule: 'removed request field, unlisted fields refused',
    says: (c) => `${at(c)} was removed, and fields the schema does not list are refused`,
  },
  'request-property-added-required': {
    class: 'breaking',
    rule: 'new required request field',
    says: (c) => `${at(c)} is new and required`,
  },
  'request-property-added': {
    class: 'safe',
    rule: 'new optional request field',
    says: (c) => `${at(c)} is new and optional`,
  },
  'request-property-became-required': {
    class: 'breaking',
    rule: 'request field now required',
    says: (c) => `${at(c)} is now required`,
  },
  'request-property-became-optional': {
    class: 'safe',
    rule: 'request field now optional',
    says: (c) => `${at(c)} is now optional`,
  },
  'request-closed': {
    class: 'breaking',
    rule: 'unlisted request fields refused',
    says: (c) => `${at(c)} now refuses fields it does not list`,
  },
  'request-type-narrowed': {
    class: 'breaking',
    rule: 'request type narrowed',
    says: (c) => `${at(c)} now takes only ${c.after} (was ${c.before})`,
  },
  'request-type-widened': {
    class: 'safe',
    rule: 'request type widened',
    says: (c) => `${at(c)} now takes ${c.after} (was ${c.before})`,
  },
  'request-enum-narrowed': {
    class: 'breaking',
    rule: 'request enum narrowed',
    says: (c) => `${at(c)} no longer accepts ${c.before}`,
  },
  'request-enum-extended': {
    class: 'safe',
    rule: 'request enum extended',
    says: (c) => `${at(c)} also accepts ${c.after}`,
  },
  'request-format-changed': {
    class: 'breaking',
    rule: 'request format tightened',
    says: (c) => `${at(c)} must now be ${c.after} (was ${c.before})`,
  },
  'request-format-removed': {
    class: 'safe',
    rule: 'request format dropped',
    says: (c) => `${at(c)} no longer needs to be ${c.before}`,
  },
  'request-constraint-tightened': {
    class: 'breaking',
    rule: 'request constraint tightened',
    says: (c) => `${at(c)} is now held to ${c.after} (was ${c.before})`,
  },
  'request-constraint-loosened': {
    class: 'safe',
    rule: 'request constraint loosened',
    says: (c) => `${at(c)} is now held to ${c.after} (was ${c.before})`,
  },
  'request-pattern-changed': {
    class: 'warning',
    rule: 'request pattern changed',
    says: (c) => `${at(c)} must now match ${c.after} (was ${c.before})`,
  },
  'request-variant-removed': {
    class: 'breaking',
    rule: 'request variant removed',
    says: (c) => `${at(c)} no longer accepts the ${c.before} form`,
  },
  'request-variant-added': {
    class: 'safe',
    rule: 'request variant added',
    says: (c) => `${at(c)} also accepts the ${c.after} form`,
  },
  'response-property-removed': {
    class: 'breaking',
    rule: 'removed response property',
    says: (c) => `${at(c)} is no longer returned`,
  },
  'response-property-added': {
    class: 'safe',
    rule: 'new response property',
    says: (c) => `${at(c)} is new`,
  },
  'response-property-became-optional': {
    class: 'breaking',
    rule: 'response property now optional',
    says: (c) => `${at(c)} may now be missing`,
  },
  'response-property-became-required': {
    class: 'safe',
    rule: 'response property now always present',
    says: (c) => `${at(c)} is now always present`,
  },
  'response-type-widened': {
    class: 'warning',
    rule: 'response type widened',
    says: (c) => `${at(c)} may now be ${c.after} (was ${c.before})`,
  },
  'response-type-narrowed': {
    class: 'safe',
    rule: 'response type narrowed',
    says: (c) => `${at(c)} is now only ${c.after} (was ${c.before})`,
  },
  'type-changed': {
    class: 'breaking',
    rule: 'type changed',
    says: (c) => `${at(c)} is now ${c.after} (was ${c.before})`,
  },
  'response-enum-extended': {
    class: 'warning',
    rule: 'response enum extended',
    says: (c) => `${at(c)} may now be ${c.after}`,
  },
  'response-enum-narrowed': {
    class: 'safe',
    rule: 'response enum narrowed',
    says: (c) => `${at(c)} is no longer ${c.before}`,
  },
  'response-format-changed': {
    class: 'breaking',
    rule: 'response format changed',
    says: (c) => `${at(c)} is now ${c.after} (was ${c.before})`,
  },
  'response-format-added': {
    class: 'safe',
    rule: 'response format added',
    says: (c) => `${at(c)} is now always ${c.after}`,
  },
  'response-variant-added': {
    class: 'warning',
    rule: 'response variant added',
    says: (c) => `${at(c)} may now be the ${c.after} form`,
  },
  'response-variant-removed': {
    class: 'safe',
    rule: 'response variant removed',
    says: (c) => `${at(c)} is no longer the ${c.before} form`,
  },
  'response-status-removed': {
    class: 'breaking',
    rule: 'removed response',
    says: (c) => `${c.scope} no longer answers ${c.subject}`,
  },
  'response-status-added': {
    class: 'warning',
    rule: 'new response status',
    says: (c) => `${c.scope} may now answer ${c.subject}`,
  },
  'response-media-type-removed': {
    class: 'breaking',
    rule: 'removed response media type',
    says: (c) => `${c.scope} no longer answers ${c.subject}`,
  },
  'response-media-type-added': {
    class: 'warning',
    rule: 'new response media type',
    says: (c) => `${c.scope} may now answer ${c.subject}`,
  },
  'error-code-removed': {
    class: 'breaking',
    rule: 'removed error code',
    says: (c) => `${c.scope} no longer lists error ${c.subject}`,
  },
  'error-code-added': {
    class: 'warning',
    rule: 'new error code',
    says: (c) => `${c.scope} may now answer error ${c.subject}`,
  },
  'catalog-code-removed': {
    class: 'breaking',
    rule: 'removed catalog code',
    says: (c) => `the catalog no longer has ${c.subject}`,
  },
  'catalog-code-added': {
    class: 'safe',
    rule: 'new catalog code',
    says: (c) => `the catalog has a new code ${c.subject}`,
  },
  'wire-code-changed': {
    class: 'breaking',
    rule: 'wire code changed',
    says: (c) => `${c.subject} is now sent as code ${c.after} (was ${c.before})`,
  },
  'status-changed': {
    class: 'breaking',
    rule: 'status changed',
    says: (c) => `${c.subject} is now answered with HTTP ${c.after} (was ${c.before})`,
  },
  'surface-changed': {
    class: 'breaking',
    rule: 'surface changed',
    says: (c) => `${c.subject} now reaches the client as ${c.after} (was ${c.before})`,
  },
  'detail-removed': {
    class: 'breaking',
    rule: 'removed error detail',
    says: (c) => `${c.subject} no longer carries the detail \`${c.before}\``,
  },
  'detail-added': {
    class: 'safe',
    rule: 'new error detail',
    says: (c) => `${c.subject} may now carry the detail \`${c.after}\``,
  },
  'retryable-changed': {
    class: 'warning',
    rule: 'retry advice changed',
    says: (c) => `${c.subject} is now ${c.after} (was ${c.before})`,
  },
  'sent-message-changed': {
    class: 'warning',
    rule: 'sent message changed',
    says: (c) => `${c.subject} is now sent with the message "${c.after}" (was "${c.before}")`,
  },
  'message-changed': {
    class: 'safe',
    rule: 'documented message changed',
    says: (c) => `${c.subject} is now "${c.after}" (was "${c.before}")`,
  },
  'error-envelope-changed': {
    class: 'breaking',
    rule: 'error envelope changed',
    says: (c) => `errors' ${c.subject} is now ${c.after} (was ${c.before})`,
  },
  'wire-language-changed': {
    class: 'warning',
    rule: 'message language changed',
    says: (c) => `errors now carry their message in ${c.after} (was ${c.before})`,
  },
} satisfies Record<string, Rule>;

export type Kind = keyof typeof rules;

/** A change in words: what changed, and the rule that classified it. */
export function describe(change: Change): { class: Class; rule: string; text: string } {
  const rule: Rule = rules[change.kind];
  return { class: rule.class, rule: rule.rule, text: rule.says(change) };
}
