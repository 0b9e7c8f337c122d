// Operator routes for the namenode group: Raft status of this namenode, removing a namenode, and
// handing leadership to another (for rolling restarts). Changes are for the superuser only.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NamenodeAuth } from '../security/auth.js';
import { z } from 'zod';
import { DfsError } from '../../shared/errors.js';
import { parseInput, postJson } from '../../shared/http.js';
import { UserName } from '../../shared/protocol.js';
import type { RaftNamespaceLog } from '../raft-group/raft-namespace-log.js';
import { peerUrlOf } from '../raft-group/wire.js';

const MembershipRequest = z.object({ user: UserName.optional(), url: z.string().url() });
const Done = z.object({ done: z.boolean(), detail: z.string().optional() });

export async function raftAdminRoutes(app: FastifyInstance, options: { raft: RaftNamespaceLog; superuser: string; url: string; auth: NamenodeAuth }): Promise<void> {
  const { raft } = options;

  app.get('/rpc/v1/admin/raft', async () => {
    const status = raft.status();
    return {
      id: status.id,
      url: options.url,
      role: status.role,
      term: status.term,
      leader: status.lead ? peerUrlOf(status.lead) : null,
      commit: status.commit,
      applied: status.applied,
      lastIndex: status.lastIndex,
      snapshotIndex: status.snapshotIndex,
      voters: status.conf.voters.map(peerUrlOf),
      learners: status.conf.learners.map(peerUrlOf),
    };
  });

  const leaderOnly = async (request: FastifyRequest, path: string, body: z.infer<typeof MembershipRequest>, action: () => Promise<z.infer<typeof Done>>) => {
    // A token's user (or a relaying peer's) replaces the claimed one.
    const user = options.auth.identify(request, body.user);
    if ((user ?? '') !== options.superuser) {
      throw new DfsError('AccessControl', `Access denied for user ${user ?? 'dr.who'}. Superuser privilege is required`);
    }
    if (raft.isLeader) return action();
    const leader = raft.leaderUrl;
    if (!leader) throw new DfsError('Unavailable', 'No leader elected yet; retry');
    return postJson(`${leader}${path}`, body, Done, { headers: options.auth.peerHeaders(user) });
  };

  app.post('/rpc/v1/admin/namenodes/remove', async (request) => {
    const body = parseInput(MembershipRequest, request.body, 'remove namenode request');
    return leaderOnly(request, '/rpc/v1/admin/namenodes/remove', body, async () => {
      const conf = raft.status().conf;
      const member = [...conf.voters, ...conf.learners].find((id) => peerUrlOf(id) === body.url);
      if (!member) throw new DfsError('IllegalArgument', `${body.url} is not a namenode of this cluster`);
      if (conf.voters.length === 1 && conf.voters[0] === member) throw new DfsError('IllegalArgument', 'Cannot remove the last namenode');
      await raft.changeMembership({ type: 'removeNode', node: member });
      return { done: true };
    });
  });

  app.post('/rpc/v1/admin/namenodes/transfer', async (request) => {
    const body = parseInput(MembershipRequest, request.body, 'leadership transfer request');
    return leaderOnly(request, '/rpc/v1/admin/namenodes/transfer', body, async () => {
      const target = raft.status().conf.voters.find((id) => peerUrlOf(id) === body.url);
      if (!target) throw new DfsError('IllegalArgument', `${body.url} is not a voting namenode`);
      return { done: raft.transferLeadership(target) };
    });
  });
}
