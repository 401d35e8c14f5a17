/**
 * The two agents `npm start` provisions on an empty database, and their OpenClaw credentials as
 * the local OpenClaw stand-in knows them. For trying the API only.
 */
export const demoAgents = [
  {
    id: '550e8400-e29b-41d4-a716-446655440001',
    name: 'atlas-research',
    secret: 'ocs_demo_atlas_9f8e7d6c5b4a3928',
    points: 1000,
  },
  {
    id: '550e8400-e29b-41d4-a716-446655440002',
    name: 'quill-writer',
    secret: 'ocs_demo_quill_1a2b3c4d5e6f7081',
    points: 1000,
  },
] as const;
