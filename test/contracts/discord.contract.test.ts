import { chatAdapterContract } from './chat-adapter.contract.js';
import { createDiscordHarness } from './harnesses/discord-harness.js';

chatAdapterContract({ name: 'Discord', reviews: true, createHarness: createDiscordHarness });
