/**
 * τ-bench's airline environment for benchmark runners: load the data, run episodes (in
 * process or through the MCP server), compute τ-bench's reward, replay recorded runs, and the
 * labelled write calls for a critic of actions, and the runner of `countersign bench tau` (the
 * episodes, the simulated user, the model gateway, the scripted models, the report). See
 * docs/tau-bench.md.
 */
export type { ActionExclusion, ActionLabel, ActionLabelOptions, ActionLabelSet, ExcludedAction, LabelledAction, LabelledCall } from './action-labels.js';
export { buildActionLabels } from './action-labels.js';
export { AIRLINE_DATA_ENVIRONMENT_VARIABLE, airlineDataDirectoryFrom, loadAirlineData } from './airline-data.js';
export type { AirlineData, AirlineDatabase } from './airline-database.js';
export type { AirlineEnvironment, AirlineEnvironmentOptions } from './airline-environment.js';
export { createAirlineEnvironment } from './airline-environment.js';
export type { AirlineCallOptions, AirlineCallRecord, AirlineEpisode, AirlineEpisodeOptions, AirlineToolResult } from './airline-episode.js';
export { createAirlineEpisode } from './airline-episode.js';
export type { AirlineServer, AirlineServerOptions } from './airline-mcp-server.js';
export { createAirlineMcpServer, IDEMPOTENCY_KEY_META, POLICY_RESOURCE_URI, REPLAYED_META, startAirlineServer } from './airline-mcp-server.js';
export { AIRLINE_POLICY } from './airline-policy.js';
export type { AirlineToolAnnotations, AirlineToolDefinition } from './airline-tool-definitions.js';
export { AIRLINE_TERMINATE_TOOL_NAMES, AIRLINE_TOOLS, AIRLINE_WRITE_TOOL_NAMES, findAirlineTool } from './airline-tool-definitions.js';
export { hashAirlineDatabase } from './data-hash.js';
export type { ReplayResult, ReplayedCall } from './replay.js';
export { compareToolOutput, recordedEpisodeDone, replayTauTrajectory, TAU_MAX_AGENT_STEPS, TAU_STOP_TOKEN } from './replay.js';
export type { TauReward, TauRewardInput } from './reward.js';
export { calculateTauReward, checkTauOutputs, expectedDataHash } from './reward.js';
export type { TauAction, TauMessage, TauTask, TauToolCall, TauTrajectory } from './tau-trajectories.js';
export { loadTauTrajectories, messagesToUser, parseTauTrajectories } from './tau-trajectories.js';
export type { ActionDecision, ActionEvaluationOptions, ActionEvaluationReport, ActionEvaluationResult, ActionJudge, ActionJudgement, ActionReviewCase } from './action-evaluation.js';
export { actionReviewCase, formatActionEvaluationReport, runActionEvaluation } from './action-evaluation.js';
export type { ProposedCall, ReplayingActor, ScriptedCriticMode } from './scripted-models.js';
export { createReplayingActor, createScriptedCritic, matchesExpectedAction, oracleApproves, proposedCallOf, stoppedByOracleGate } from './scripted-models.js';
export type { TauBenchReport, TauConfigurationSummary, TauEpisodeOutcome } from './tau-bench-report.js';
export { formatTauBenchMarkdown, formatTauProgress, passHatK } from './tau-bench-report.js';
export type { EpisodeAgentHandle, EpisodeContext, TauBenchConfiguration, TauBenchRunOptions, TauEpisodeSpec } from './tau-bench-runner.js';
export { runTauBench } from './tau-bench-runner.js';
export type { EpisodeAgent, TauEpisodeResult } from './tau-episode.js';
export { runTauEpisode } from './tau-episode.js';
export type { EpisodeMeter, ModelRoute, TauModelGateway, TauModelRole } from './tau-model-gateway.js';
export { startTauModelGateway } from './tau-model-gateway.js';
export type { UserSimulator } from './tau-user-simulator.js';
export { createModelUserSimulator, createReplayingUser, TAU_USER_OPENING, tauUserSystemPrompt } from './tau-user-simulator.js';
