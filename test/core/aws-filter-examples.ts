/**
 * The filter-pattern examples AWS documents, with the verdicts AWS states for them.
 *
 * Sources (each example names the ones it appears in):
 * - `cwl-2022`: Amazon CloudWatch Logs User Guide, "Filter and pattern syntax", as AWS last
 *   published it on GitHub (awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/
 *   FilterAndPatternSyntax.md, commit 5bd7d24, 2022-03-25).
 * - `cwl-2021`: the same page in its earlier form (commit 7ee3db0, 2021-03-22), whose examples
 *   differ ("Match everything", the OR section, JSON OR, `IS TRUE`, numeric comparisons).
 * - `cwl-examples`: the guide's worked examples (CountOccurrencesExample.md,
 *   CountingLogEventsExample.md, Counting404Responses.md, FindCountMetric.md, commit 5bd7d24).
 * - `cwl-regex`: docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html and the
 *   regex section of FilterAndPatternSyntax.html (current pages; the regex dialect is newer than
 *   the GitHub copies).
 * - `cwl-json`: docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html.
 * - `cloudtrail-ug`: AWS CloudTrail User Guide, "Creating CloudWatch alarms for CloudTrail events"
 *   and its additional examples (awsdocs/aws-cloudtrail-user-guide, commits c7adfd8 and 22cf433):
 *   patterns AWS gives for CloudTrail, documented as valid, without example events.
 *
 * `matches` and `misses` are log event messages AWS shows the pattern matching or not; `valid`
 * is AWS's statement that a pattern is accepted or rejected when it shows no events.
 * `spaceDelimited` marks the patterns for space-delimited (non-JSON) logs, which trailkit refuses
 * with a reason because CloudTrail events are JSON (SPEC section 7).
 */
export interface AwsFilterExample {
  readonly sources: readonly string[];
  readonly pattern: string;
  readonly matches?: readonly string[];
  readonly misses?: readonly string[];
  readonly valid?: boolean;
  readonly spaceDelimited?: true;
}

/** The four events of cwl-2022's unstructured examples. */
const E400 = '[ERROR 400] BAD REQUEST';
const E401 = '[ERROR 401] UNAUTHORIZED REQUEST';
const E419 = '[ERROR 419] MISSING ARGUMENTS';
const E420 = '[ERROR 420] INVALID ARGUMENTS';
const E500 = '[ERROR 500] INTERNAL SERVER ERROR';

/** cwl-2021's three events of the OR section. */
const OR1 = 'ERROR WARN message';
const OR2 = 'ERROR message';
const OR3 = 'WARN message';

/** The JSON log event of the "JSON metric filter examples" (cwl-2022 drops ThisFlag), on one line as AWS asks. */
const JSON_EVENT = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
});

/** The JSON object of the compound-expression examples. */
const COMPOUND_EVENT = JSON.stringify({
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
});

/** The JSON event of the dimensions example (no SomeObject). */
const DIMENSION_EVENT = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
});

const APACHE_404 = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';
const APACHE_404_2021 = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';

export const AWS_FILTER_EXAMPLES: readonly AwsFilterExample[] = [
  // --- Terms in unstructured events ---------------------------------------------------------
  { sources: ['cwl-2022'], pattern: 'ERROR', matches: [E400, E401, E419, E420] },
  { sources: ['cwl-2022'], pattern: 'ERROR ARGUMENTS', matches: [E419, E420], misses: [E400, E401] },
  { sources: ['cwl-2022'], pattern: '?ERROR ?ARGUMENTS', matches: [E400, E401, E419, E420] },
  { sources: ['cwl-2022'], pattern: '"INTERNAL SERVER ERROR"', matches: [E500] },
  { sources: ['cwl-2022'], pattern: 'ERROR -ARGUMENTS', matches: [E400, E401], misses: [E419, E420] },
  // "You can match everything in your log events with double quotation marks."
  { sources: ['cwl-2022', 'cwl-examples'], pattern: '" "', matches: [E400, E419, 'Test event 1', 'Test event 2', 'This message also contains an Error'] },
  { sources: ['cwl-2021'], pattern: '""', matches: [OR1, OR2, OR3, E400] },
  { sources: ['cwl-2021'], pattern: 'ERROR', matches: ['[ERROR] A fatal exception has occurred', 'Exiting with ERRORCODE: -1', OR1, OR2], misses: [OR3] },
  { sources: ['cwl-2021'], pattern: '"ERROR" - "Exiting"', matches: ['[ERROR] A fatal exception has occurred'], misses: ['Exiting with ERRORCODE: -1'] },
  { sources: ['cwl-2021'], pattern: 'ERROR Exception', matches: ['[ERROR] Caught IllegalArgumentException', '[ERROR] Unhandled Exception'] },
  {
    sources: ['cwl-2021'],
    pattern: 'Failed to process the request',
    matches: ['[WARN] Failed to process the request', '[ERROR] Unable to continue: Failed to process the request'],
  },
  { sources: ['cwl-2021'], pattern: '?ERROR ?WARN', matches: [OR1, OR2, OR3] },
  { sources: ['cwl-2021'], pattern: 'ERROR WARN', matches: [OR1], misses: [OR2, OR3] },
  { sources: ['cwl-2021'], pattern: 'ERROR -WARN', matches: [OR2], misses: [OR1, OR3] },
  { sources: ['cwl-examples'], pattern: 'Error', matches: ['This message contains an Error', 'This message also contains an Error'] },

  // --- JSON: strings, arrays, IS, NOT EXISTS --------------------------------------------------
  { sources: ['cwl-2022', 'cwl-2021', 'cwl-json'], pattern: '{ $.eventType = "UpdateTrail" }', matches: [JSON_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021', 'cwl-json'], pattern: '{ $.sourceIPAddress != 123.123.* }', matches: [JSON_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.arrayKey[0] = "value" }', matches: [JSON_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.objectList[1].id = 2 }', matches: [JSON_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.SomeObject IS NULL }', matches: [JSON_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.SomeOtherObject NOT EXISTS }', matches: [JSON_EVENT] },
  { sources: ['cwl-2021'], pattern: '{ $.ThisFlag IS TRUE }', matches: [JSON_EVENT] },
  { sources: ['cwl-2021'], pattern: '{$.foo = bar}', matches: ['{"foo": "bar"}'], misses: ['{"foo": "baz"}'] },
  { sources: ['cwl-2021'], pattern: '{$.foo = baz }', matches: ['{"foo": "baz"}'], misses: ['{"foo": "bar"}'] },
  { sources: ['cwl-2021'], pattern: '{$.foo = bar || $.foo = baz }', matches: ['{"foo": "bar"}', '{"foo": "baz"}'] },
  // "both {$.users = 1} and {$.users != 1} will fail to match a log event where users is an array"
  { sources: ['cwl-2021'], pattern: '{$.users = 1}', misses: ['{"users": [1, 2, 3]}'] },
  { sources: ['cwl-2021'], pattern: '{$.users != 1}', misses: ['{"users": [1, 2, 3]}'] },
  { sources: ['cwl-2022'], pattern: '{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', matches: [DIMENSION_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.latency = * }', matches: ['{"latency": 50, "requestType": "GET"}'] },

  // --- JSON: compound expressions -------------------------------------------------------------
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', matches: [COMPOUND_EVENT] },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', misses: [COMPOUND_EVENT] },
  {
    sources: ['cwl-2022'],
    pattern: '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
    matches: [COMPOUND_EVENT],
  },
  {
    sources: ['cwl-2022'],
    pattern: '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
    misses: [COMPOUND_EVENT],
  },
  {
    sources: ['cwl-2021'],
    pattern: '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
    matches: [COMPOUND_EVENT],
  },
  {
    sources: ['cwl-2021'],
    pattern: '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }',
    misses: [COMPOUND_EVENT],
  },

  // --- JSON: numbers (syntax examples, no events) ---------------------------------------------
  { sources: ['cwl-2022'], pattern: '{ $.bandwidth > 75 }', valid: true },
  { sources: ['cwl-2022'], pattern: '{ $.latency < 50 }', valid: true },
  { sources: ['cwl-2022'], pattern: '{ $.refreshRate >= 60 }', valid: true },
  { sources: ['cwl-2022'], pattern: '{ $.responseTime <= 5 }', valid: true },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.errorCode = 400}', valid: true },
  { sources: ['cwl-2022', 'cwl-2021'], pattern: '{ $.errorCode != 500 }', valid: true },
  { sources: ['cwl-2022'], pattern: '{ $.number[0] = 1e-3 }', valid: true },
  { sources: ['cwl-2022'], pattern: '{ $.number[0] != 1e+3 }', valid: true },
  { sources: ['cwl-2021'], pattern: '{ $.latency >= 500 }', valid: true },
  { sources: ['cwl-2021'], pattern: '{ $.numbers[0] < 10e3 }', valid: true },
  { sources: ['cwl-2021'], pattern: '{ $.numbers[0] < 10e-3 }', valid: true },
  { sources: ['cwl-2021'], pattern: '{ $.processes[4].averageRuntime <= 55.5 }', valid: true },
  { sources: ['cwl-2021'], pattern: '{ $.latency > +1000 }', valid: true },

  // --- Regular expressions ----------------------------------------------------------------------
  { sources: ['cwl-regex'], pattern: '%AUTHORIZED%', matches: ['[ERROR 401] UNAUTHORIZED REQUEST', '[SUCCESS 200] AUTHORIZED REQUEST'] },
  { sources: ['cwl-regex'], pattern: '%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', valid: true },
  { sources: ['cwl-regex'], pattern: '%[Ee]rror|[Ff]ail%', matches: ['Error', 'error', 'Fail', 'fail'] },
  // "%something!% would be rejected because '!' is not supported"
  { sources: ['cwl-regex'], pattern: '%something!%', valid: false },
  // "The ( ) operators are not supported. You can't use parentheses to define a subpattern."
  { sources: ['cwl-regex'], pattern: '%(abc)%', valid: false },
  // "%^[hc]at% matches "hat" and "cat", but only at the beginning of a string"
  { sources: ['cwl-regex'], pattern: '%^[hc]at%', matches: ['hat', 'cat'], misses: ['a hat', 'a cat'] },
  // "%[hc]at$% matches "hat" and "cat", but only at the end of a string"
  { sources: ['cwl-regex'], pattern: '%[hc]at$%', matches: ['hat', 'cat'], misses: ['hats', 'cats'] },
  { sources: ['cwl-regex'], pattern: '%colou?r%', matches: ['color', 'colour'] },
  { sources: ['cwl-regex'], pattern: '%[abc]%', matches: ['a', 'b', 'c'] },
  { sources: ['cwl-regex'], pattern: '%[a-z]%', matches: ['a', 'm', 'z'] },
  { sources: ['cwl-regex'], pattern: '%[abcx-z]%', matches: ['a', 'b', 'c', 'x', 'y', 'z'] },
  { sources: ['cwl-regex'], pattern: '%a{3,5}%', matches: ['aaa'] },

  // --- Patterns for CloudTrail, documented without events -------------------------------------
  {
    sources: ['cloudtrail-ug'],
    pattern:
      '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
    valid: true,
  },
  { sources: ['cloudtrail-ug'], pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }', valid: true },
  {
    sources: ['cloudtrail-ug'],
    pattern:
      '{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}',
    valid: true,
  },
  { sources: ['cloudtrail-ug'], pattern: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }', valid: true },
  { sources: ['cloudtrail-ug'], pattern: '{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }', valid: true },
  { sources: ['cloudtrail-ug'], pattern: '{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }', valid: true },

  // --- Space-delimited patterns: for non-JSON logs, refused ------------------------------------
  { sources: ['cwl-2022'], pattern: '[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]', matches: [APACHE_404], spaceDelimited: true },
  { sources: ['cwl-2022'], pattern: '[..., request =*.html*, status_code = 4*, bytes]', matches: [APACHE_404], spaceDelimited: true },
  {
    sources: ['cwl-2022'],
    pattern: '[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]',
    matches: [APACHE_404],
    spaceDelimited: true,
  },
  { sources: ['cwl-2022'], pattern: '[ip, server, username, timestamp, request, status_code, bytes > 1000]', matches: [APACHE_404], spaceDelimited: true },
  { sources: ['cwl-2022'], pattern: '[w1=ERROR, w2]', matches: [OR2], misses: [OR3], spaceDelimited: true },
  { sources: ['cwl-2022'], pattern: '[w1=ERROR || W1=WARNING, w2]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2022'], pattern: '[w1!=ERROR && w1!=WARNING, w2]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[w1=ERROR || w1=WARN, w2]', matches: [OR2, OR3], spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[..., request=*.html*, status_code=4*,]', matches: [APACHE_404_2021], spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[ip, user, username, timestamp, request, status_code, bytes > 1000]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[..., status_code, bytes]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[ip, user, ..., status_code, bytes]', valid: true, spaceDelimited: true },
  { sources: ['cwl-2021'], pattern: '[ip, user, ...]', valid: true, spaceDelimited: true },
  {
    sources: ['cwl-examples'],
    pattern: '[IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes]',
    matches: ['127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'],
    misses: ['127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb2.gif HTTP/1.0" 200 2326'],
    spaceDelimited: true,
  },
  { sources: ['cwl-examples'], pattern: '[ip, id, user, timestamp, request, status_code=4*, size]', valid: true, spaceDelimited: true },
];

/**
 * What SPEC section 7 records of AWS's behaviour beyond the pages' examples (AWS's pages and
 * TestMetricFilter results): each pattern with events and the verdict AWS gave.
 */
export const AWS_RECORDED_BEHAVIOUR: readonly AwsFilterExample[] = [
  { sources: ['spec-7'], pattern: '?ERROR ?ARGUMENTS REQUEST', matches: ['BAD REQUEST', 'UNAUTHORIZED REQUEST'], misses: [E419, E420] },
  { sources: ['spec-7'], pattern: '{ $.list[*].field = "x" }', matches: ['{"list":[{"field":"y"},{"field":"x"}]}'], misses: ['{"list":[{"field":"y"}]}'] },
  { sources: ['spec-7'], pattern: '{ $.* = "x" }', matches: ['{"a":"y","b":"x"}'], misses: ['{"a":"y","b":{"c":"x"}}'] },
  { sources: ['spec-7'], pattern: "{ $.['cluster.name'] = prod }", matches: ['{"cluster.name":"prod"}'], misses: ['{"cluster":{"name":"prod"}}'] },
  { sources: ['spec-7'], pattern: '%\\x3A%', matches: ['a:b'], misses: ['ab'] },
  { sources: ['spec-7'], pattern: '{ $.v = 1 }', matches: ['{"v":"1"}', '{"v":1}', '{"v":1.0}'], misses: ['{"v":"1.0"}', '{"v":"Alpha"}'] },
  { sources: ['spec-7'], pattern: '{ $.v != 1 }', matches: ['{"v":"Alpha"}', '{"v":"1.0"}', '{"v":2}'], misses: ['{"v":"1"}', '{"v":1}', '{}'] },
  { sources: ['spec-7'], pattern: '{ $.v >= 1.05 }', matches: ['{"v":1.05}', '{"v":2}'], misses: ['{"v":"1.05"}', '{"v":"2"}'] },
  { sources: ['spec-7'], pattern: '{ $.v < 10 }', matches: ['{"v":5}'], misses: ['{"v":"5"}'] },
  { sources: ['spec-7'], pattern: '{ $.v = "1.0" }', matches: ['{"v":1.0}', '{"v":"1.0"}'], misses: ['{"v":1}'] },
  { sources: ['spec-7'], pattern: '{ $.v = null }', valid: false },
  { sources: ['spec-7'], pattern: '{ $.v IS NULL }', matches: ['{"v":null}', '{"v":[1,null]}'], misses: ['{"v":[1,2]}', '{}', '{"v":"null"}'] },
];
