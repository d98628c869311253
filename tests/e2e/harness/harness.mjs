#!/usr/bin/env node
/**
 * louzu end-to-end harness: stands in for WeChat.
 *
 * Runs the official Wechaty puppet-service gateway (`PuppetServer`) over the
 * mock puppet (`PuppetMock`) on 127.0.0.1:PORT (token `insecure_x`), so that a
 * bot connects to it exactly as it would to a real 1.x gateway, and lets a test
 * drive the "WeChat side" with JSON lines.
 *
 * Like a real 1.x gateway it serves TLS (the certificate shipped inside
 * wechaty-puppet-service, for the name "insecure") unless started with
 * WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true, and it hands residents'
 * photos over as the gateway does: up to 20 KB as JSON, bigger ones kept in
 * the gateway for the client to Download.
 *
 * Usage:
 *   node harness.mjs [PORT] [SETUP_JSON]
 *     PORT        0 (default) picks a free port; the `ready` event reports it.
 *     SETUP_JSON  the setup; when absent it is read from the first stdin line.
 *
 * Setup:
 *   {"bot": {"id": "bot", "name": "楼组小助手"},
 *    "contacts": [{"id": "u1", "name": "张三"}, ...],          // any Contact payload fields
 *    "rooms": [{"id": "r1@chatroom", "topic": "1号楼", "memberIdList": ["u1"],
 *               "aliases": {"u1": "3-201 张三"}}]}               // optional group nicknames
 *   The bot is added to every room's memberIdList.
 *
 * stdin, one JSON command a line; each answers {"event":"ack","seq":N,"id":..,"result":..}
 * or {"event":"error","seq":N,"error":".."}:
 *   {"cmd":"say","seq":N,"from":contactId,"room":roomId,"text":"..","mentions":[contactId,..]}
 *   {"cmd":"image","seq":N,"from":contactId,"room":roomId,"b64":"..","name":"p.png","kind":"buffer"}
 *       (type by the name's media type: image/* Image(6), video/* Video(15),
 *        .sil Audio(2), anything else Attachment(1)); the puppet answers the
 *        file as a FileBox of "kind": "buffer" (FileBox.fromBuffer, as PadLocal
 *        does; the default), "base64" (FileBox.fromBase64) or "url" (FileBox.fromUrl
 *        of this harness's own HTTP server on 127.0.0.1)
 *   {"cmd":"topic","seq":N,"room":roomId,"topic":"..","by":contactId?}
 *   {"cmd":"join","seq":N,"room":{"id","topic","memberIdList","aliases"?},"by":contactId?}
 *       (a new room; the bot is added to it, emitting room-join with the bot as invitee)
 *   {"cmd":"join","seq":N,"room":roomId,"members":[contactId,..],"by":contactId?}
 *       (residents join an existing room, emitting room-join)
 *   {"cmd":"direct","seq":N,"from":contactId,"text":".."}
 *   {"cmd":"room","seq":N,"room":roomId}   answers "result": {"id","topic","memberIdList"}
 *   {"cmd":"calls","seq":N}                answers "result": {rpcName: how many calls so far}
 *   {"cmd":"quit"}
 *   ("room" on say/image may be omitted to make them private messages to the bot.)
 *
 * stdout, one JSON event a line (all logging goes to stderr):
 *   {"event":"ready","port":P}
 *   {"event":"login"}                      whenever the bot user is (re)logged in
 *   {"event":"connected"}                  a client's event stream opened: from now on
 *                                          the bot receives what residents say
 *   {"event":"disconnected"}               that stream closed
 *   {"event":"message","id","room","to","text","mentions","type","file"?}
 *                                          for every message the BOT sends
 *
 * Environment: HARNESS_LOG_LEVEL (brolog level for the wechaty libraries,
 * default "warn"; "verbose"/"silly" for debugging);
 * WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true for a plain (0.x-like) gateway.
 */

// Keep stdout for our JSON lines only: whatever the libraries print goes to stderr.
const writeStdout = process.stdout.write.bind(process.stdout)
console.log = console.error
console.info = console.error
console.debug = console.error
console.warn = console.error
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest)

let stdoutGone = false
function emit (obj) {
  if (stdoutGone) return
  writeStdout(JSON.stringify(obj) + '\n')
}
// Our reader went away (EPIPE): nobody is driving us any more, so leave.
process.stdout.on('error', () => {
  stdoutGone = true
  setImmediate(() => process.exit(0))
})

function logErr (...args) {
  process.stderr.write('[harness] ' + args.map(a => (a instanceof Error ? a.stack : String(a))).join(' ') + '\n')
}

const TOKEN = 'insecure_x'
const HOST = '127.0.0.1'
const LOGIN_POLL_MS = 150

// Libraries are loaded only now, after stdout has been guarded.
const PUPPET = await import('wechaty-puppet')
const { PuppetServer } = await import('wechaty-puppet-service')
const { PuppetMock, mock } = await import('wechaty-puppet-mock')
const { FileBox } = await import('file-box')
const { grpc } = await import('wechaty-grpc')
const readline = await import('node:readline')
const http = await import('node:http')
const { randomUUID } = await import('node:crypto')

PUPPET.log.level(process.env.HARNESS_LOG_LEVEL || 'warn')

/* ------------------------------------------------------------------ */
/* arguments and setup                                                */
/* ------------------------------------------------------------------ */

const requestedPort = Number(process.argv[2] || 0)
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
  logErr('bad port:', process.argv[2])
  process.exit(2)
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const lineIterator = rl[Symbol.asyncIterator]()

async function readSetup () {
  if (process.argv[3]) {
    return JSON.parse(process.argv[3])
  }
  const { value, done } = await lineIterator.next()
  if (done) throw new Error('stdin closed before the setup line')
  return JSON.parse(value)
}

let setup
try {
  setup = await readSetup()
  if (!setup || !setup.bot || !setup.bot.id) throw new Error('setup.bot.id is required')
} catch (e) {
  logErr('bad setup:', e)
  process.exit(2)
}

const BOT_ID = setup.bot.id

/* ------------------------------------------------------------------ */
/* the mock world                                                     */
/* ------------------------------------------------------------------ */

const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })

// Group nicknames: roomId -> { contactId: alias }
const roomAliases = new Map()

function contactPayload (c) {
  // deterministic defaults instead of faker's random ones
  return {
    address: '',
    alias: undefined,
    avatar: '',
    city: '',
    friend: true,
    gender: PUPPET.types.ContactGender.Unknown,
    phone: [],
    province: '',
    signature: '',
    star: false,
    type: PUPPET.types.Contact.Individual,
    weixin: undefined,
    ...c,
    name: c.name ?? c.id,
  }
}

function roomPayload (r, { withBot = true } = {}) {
  if (!r || !r.id) throw new Error('room.id is required')
  const members = [...(r.memberIdList || [])].filter(id => id !== BOT_ID)
  if (withBot) members.push(BOT_ID)
  for (const id of members) {
    if (!mocker.cacheContactPayload.has(id)) throw new Error(`room ${r.id}: unknown member ${id}`)
  }
  const { aliases, ...rest } = r
  roomAliases.set(r.id, { ...(aliases || {}) })
  return {
    adminIdList: [],
    avatar: '',
    ownerId: undefined,
    ...rest,
    topic: r.topic ?? '',
    memberIdList: members,
  }
}

const bot = mocker.createContact(contactPayload(setup.bot))
for (const c of setup.contacts || []) {
  mocker.createContact(contactPayload(c))
}
for (const r of setup.rooms || []) {
  mocker.createRoom(roomPayload(r))
}

function loadContact (id) {
  if (!id || !mocker.cacheContactPayload.has(id)) throw new Error(`unknown contact: ${id}`)
  return mocker.ContactMock.load(id)
}

function loadRoom (id) {
  if (!id || !mocker.cacheRoomPayload.has(id)) throw new Error(`unknown room: ${id}`)
  return mocker.RoomMock.load(id)
}

function loadConversation (id) {
  // The stock mock routes by /@/ in the id; we route by what exists.
  if (mocker.cacheRoomPayload.has(id)) return mocker.RoomMock.load(id)
  return loadContact(id)
}

// The id of the message that the mock has just created: ContactMock.say().to()
// creates the message and emits `message` synchronously, without returning the id.
let lastMessageId
puppet.on('message', ({ messageId }) => { lastMessageId = messageId })

function sayAs (contact, something, conversation, mentions = []) {
  lastMessageId = undefined
  contact.say(something, mentions).to(conversation)
  return lastMessageId
}

// WeChat's message type for a file, by media type (the stock mock knows only a
// few extensions and calls everything else Unknown, which bots ignore).
function fileMessageType (box) {
  const media = box.mediaType || ''
  const ext = (box.name || '').toLowerCase().split('.').pop()
  if (media.startsWith('image/')) return PUPPET.types.Message.Image
  if (media.startsWith('video/')) return PUPPET.types.Message.Video
  if (media === 'audio/silk' || ext === 'sil' || ext === 'silk') return PUPPET.types.Message.Audio
  return PUPPET.types.Message.Attachment
}

// A file/photo message from `contact`, created the way ContactMock.say() does it.
// `box`: a FileBox that can be written as JSON (the bot's own sends), kept as the
// mock keeps files; or, for residents' files, a function making a fresh one.
function sendFileAs (contact, box, conversation) {
  const id = randomUUID()
  const sample = typeof box === 'function' ? box(id) : box
  const base = { id, talkerId: contact.id, timestamp: Date.now(), type: fileMessageType(sample) }
  const payload = conversation instanceof mocker.RoomMock
    ? { ...base, roomId: conversation.id, mentionIdList: [] }
    : { ...base, listenerId: conversation.id }
  if (typeof box === 'function') {
    residentFiles.set(id, box)
  } else {
    mocker.cacheFileBoxPayload.set(id, box.toJSON())
  }
  mocker.MessageMock.create(payload)
  puppet.emit('message', { messageId: id })
  return id
}

// Residents' files: message id -> (id) => a fresh FileBox of the kind the test asked for
// (a FileBox's stream can be read once, and the bot may ask more than once).
const residentFiles = new Map()
// The bytes behind "url" FileBoxes: message id -> { data, name }, served on 127.0.0.1 only.
const served = new Map()
const fileServer = http.createServer((req, res) => {
  const file = served.get(decodeURIComponent((req.url || '').split('/')[2] || ''))
  if (!file || req.method !== 'GET') {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': file.data.length })
  res.end(file.data)
})
await new Promise((resolve, reject) => fileServer.once('error', reject).listen(0, HOST, resolve))

function residentFileBox (kind, data, name) {
  switch (kind) {
    case 'buffer': return () => FileBox.fromBuffer(data, name)
    case 'base64': return () => FileBox.fromBase64(data.toString('base64'), name)
    case 'url': return (id) => {
      served.set(id, { data, name })
      const url = `http://${HOST}:${fileServer.address().port}/files/${encodeURIComponent(id)}/${encodeURIComponent(name)}`
      return FileBox.fromUrl(url, { name })
    }
    default: throw new Error(`unknown kind: ${kind} (buffer, base64 or url)`)
  }
}

/* ------------------------------------------------------------------ */
/* puppet overrides                                                   */
/* ------------------------------------------------------------------ */

// Sent text keeps its mentions (the stock mock drops them) and returns the
// message id (the stock mock returns nothing, so python's say() returns None).
puppet.messageSendText = async (conversationId, text, mentionIdList = []) => {
  if (!puppet.isLoggedIn) throw new Error('not logged in')
  const user = loadContact(puppet.currentUserId)
  const conversation = loadConversation(conversationId)
  const mentions = (mentionIdList || []).filter(id => mocker.cacheContactPayload.has(id)).map(id => loadContact(id))
  return sayAs(user, text, conversation, mentions)
}

// A sent file arrives as a stream/uuid FileBox, which the mock cannot toJSON():
// turn it into a base64 one first.
puppet.messageSendFile = async (conversationId, file) => {
  if (!puppet.isLoggedIn) throw new Error('not logged in')
  const user = loadContact(puppet.currentUserId)
  const conversation = loadConversation(conversationId)
  const b64 = await file.toBase64()
  const box = FileBox.fromBase64(b64, file.name || 'file.dat')
  return sendFileAs(user, box, conversation)
}

// A resident's file as the test asked for it; the bot's own as the mock keeps it. The
// gateway then hands it over as a real one does (JSON up to 20 KB, else Download).
const mockMessageFile = puppet.messageFile.bind(puppet)
puppet.messageFile = async (id) => residentFiles.has(id) ? residentFiles.get(id)(id) : mockMessageFile(id)
// The stock messageImage() always answers a fake QR code: answer the real file.
puppet.messageImage = async (id) => puppet.messageFile(id)

// Group nicknames (room.alias(contact) in python-wechaty).
const mockRoomMemberRawPayload = puppet.roomMemberRawPayload.bind(puppet)
puppet.roomMemberRawPayload = async (roomId, contactId) => {
  const payload = await mockRoomMemberRawPayload(roomId, contactId)
  const alias = roomAliases.get(roomId)?.[contactId]
  return alias ? { ...payload, roomAlias: alias } : payload
}

// The mock answers "mock room topic" to every topic query and ignores a new
// one: answer the payload's, and let the bot rename a room (emits room-topic).
puppet.roomTopic = async (roomId, topic) => {
  const room = loadRoom(roomId)
  if (typeof topic === 'undefined') return room.payload.topic
  room.topic(String(topic)).by(bot)
  puppet.dirtyPayload(PUPPET.types.Dirty.Room, roomId)
}

// An unhandled 'error' event would crash the process.
puppet.on('error', e => logErr('puppet error:', e?.message || e))

/* ------------------------------------------------------------------ */
/* what the bot sends                                                 */
/* ------------------------------------------------------------------ */

// Reported one after another, in the order they were sent (a file's base64
// is awaited, which must not let a later text overtake it).
let reportChain = Promise.resolve()
puppet.on('message', ({ messageId }) => {
  const payload = mocker.cacheMessagePayload.get(messageId)
  if (!payload || payload.talkerId !== BOT_ID) return
  reportChain = reportChain.then(() => reportBotMessage(messageId, payload))
})

async function reportBotMessage (messageId, payload) {
  try {
    const event = {
      event: 'message',
      id: messageId,
      room: payload.roomId || null,
      to: payload.listenerId || null,
      text: payload.text ?? null,
      mentions: payload.mentionIdList || [],
      type: payload.type,
    }
    const fileJson = mocker.cacheFileBoxPayload.get(messageId)
    if (fileJson) {
      try {
        const box = FileBox.fromJSON(fileJson)
        event.file = { name: box.name, b64: await box.toBase64() }
      } catch (e) {
        event.file = { name: fileJson.name, error: String(e?.message || e) }
      }
    }
    emit(event)
  } catch (e) {
    logErr('reporting message', messageId, 'failed:', e)
  }
}

/* ------------------------------------------------------------------ */
/* login keeping                                                      */
/* ------------------------------------------------------------------ */

// python-wechaty calls stop() then start() on connect, and stop() logs the
// user out: log the bot in again whenever the puppet is on and logged out.
puppet.on('login', ({ contactId }) => {
  if (contactId === BOT_ID) emit({ event: 'login' })
})

function ensureLogin () {
  try {
    if (puppet.state.active() === true && !puppet.isLoggedIn) {
      mocker.login(bot)
    }
  } catch (e) {
    logErr('login failed:', e)
  }
}

puppet.on('start', () => setImmediate(ensureLogin))
const loginTimer = setInterval(ensureLogin, LOGIN_POLL_MS)

/* ------------------------------------------------------------------ */
/* gateway                                                            */
/* ------------------------------------------------------------------ */

// PuppetServer does not tell which port it bound: catch it on the way.
let boundPort
const origBindAsync = grpc.Server.prototype.bindAsync
grpc.Server.prototype.bindAsync = function (address, creds, callback) {
  return origBindAsync.call(this, address, creds, (err, port) => {
    if (!err) boundPort = port
    callback(err, port)
  })
}

// How many times each call of the gateway was made (the "calls" command).
const rpcCalls = {}

// Tell when a client's event stream is open (from then on it receives what
// the residents say) and when it closes. The gateway's event stream manager
// subscribes to the puppet's events synchronously when a stream starts, so a
// new 'dong' listener means an authorized stream has started.
const origAddService = grpc.Server.prototype.addService
grpc.Server.prototype.addService = function (service, implementation) {
  if (implementation && typeof implementation.event === 'function') {
    implementation = Object.fromEntries(Object.entries(implementation).map(([name, handler]) => [
      name,
      function (...args) {
        rpcCalls[name] = (rpcCalls[name] || 0) + 1
        return handler.apply(this, args)
      },
    ]))
    const origEvent = implementation.event
    implementation = {
      ...implementation,
      event (call) {
        const before = puppet.listenerCount('dong')
        const result = origEvent.call(this, call)
        if (puppet.listenerCount('dong') > before) {
          emit({ event: 'connected' })
          let closed = false
          const onClose = () => {
            if (closed) return
            closed = true
            emit({ event: 'disconnected' })
          }
          for (const name of ['cancelled', 'finish', 'close', 'error']) call.on(name, onClose)
        }
        return result
      },
    }
  }
  return origAddService.call(this, service, implementation)
}

// TLS as a real gateway decides it: on, unless WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true.
const server = new PuppetServer({
  endpoint: `${HOST}:${requestedPort}`,
  puppet,
  token: TOKEN,
})

try {
  await puppet.start()
  ensureLogin()
  await server.start()
} catch (e) {
  logErr('gateway failed to start:', e)
  process.exit(1)
}
emit({ event: 'ready', port: boundPort ?? requestedPort })

/* ------------------------------------------------------------------ */
/* commands                                                           */
/* ------------------------------------------------------------------ */

function pickOther (room, exclude = []) {
  return room.payload.memberIdList.find(id => id !== BOT_ID && !exclude.includes(id))
}

const commands = {
  say (c) {
    const talker = loadContact(c.from)
    const conversation = c.room ? loadRoom(c.room) : bot
    const mentions = (c.mentions || []).map(loadContact)
    return sayAs(talker, String(c.text ?? ''), conversation, mentions)
  },
  direct (c) {
    return sayAs(loadContact(c.from), String(c.text ?? ''), bot)
  },
  image (c) {
    const talker = loadContact(c.from)
    const conversation = c.room ? loadRoom(c.room) : bot
    if (!c.b64) throw new Error('b64 is required')
    const box = residentFileBox(c.kind || 'buffer', Buffer.from(c.b64, 'base64'), c.name || 'p.png')
    return sendFileAs(talker, box, conversation)
  },
  room (c) {
    const { id, topic, memberIdList } = loadRoom(c.room).payload
    return { result: { id, topic, memberIdList } }
  },
  calls () {
    return { result: { ...rpcCalls } }
  },
  topic (c) {
    const room = loadRoom(c.room)
    const changer = loadContact(c.by || pickOther(room) || BOT_ID)
    // emits `room-topic` and updates the payload (the same object the puppet caches)
    room.topic(String(c.topic ?? '')).by(changer)
    puppet.dirtyPayload(PUPPET.types.Dirty.Room, room.id)
    return undefined
  },
  join (c) {
    if (typeof c.room === 'string') {
      // residents join an existing room: {"room": roomId, "members": [contactId, ..]}
      const room = loadRoom(c.room)
      const members = (c.members || []).map(loadContact)
      if (!members.length) throw new Error('members is required')
      const inviter = loadContact(c.by || pickOther(room, c.members) || BOT_ID)
      room.add(...members).by(inviter)
      puppet.dirtyPayload(PUPPET.types.Dirty.Room, room.id)
      return undefined
    }
    if (c.room && mocker.cacheRoomPayload.has(c.room.id)) throw new Error(`room exists: ${c.room.id}`)
    const payload = roomPayload(c.room, { withBot: false })
    const room = mocker.createRoom(payload)
    const inviter = loadContact(c.by || pickOther(room) || BOT_ID)
    // adds the bot to memberIdList and emits `room-join`
    room.add(bot).by(inviter)
    puppet.dirtyPayload(PUPPET.types.Dirty.Room, room.id)
    return undefined
  },
}

let quitting = false
async function quit (code = 0) {
  if (quitting) return
  quitting = true
  clearInterval(loginTimer)
  const timer = setTimeout(() => process.exit(code), 3000)
  timer.unref()
  try { await server.stop() } catch (e) { logErr('server.stop:', e) }
  fileServer.close()
  try { if (puppet.state.active()) await puppet.stop() } catch (e) { logErr('puppet.stop:', e) }
  process.exit(code)
}

process.on('SIGTERM', () => { void quit(0) })
process.on('SIGINT', () => { void quit(0) })

for await (const line of { [Symbol.asyncIterator]: () => lineIterator }) {
  if (!line.trim()) continue
  let c
  try {
    c = JSON.parse(line)
  } catch (e) {
    emit({ event: 'error', seq: null, error: `bad json: ${e.message}` })
    continue
  }
  if (c.cmd === 'quit') break
  const handler = commands[c.cmd]
  if (!handler) {
    emit({ event: 'error', seq: c.seq ?? null, error: `unknown cmd: ${c.cmd}` })
    continue
  }
  try {
    const answer = await handler(c)
    const [id, result] = typeof answer === 'object' && answer !== null ? [null, answer.result] : [answer, null]
    emit({ event: 'ack', seq: c.seq ?? null, id: id ?? null, result: result ?? null })
  } catch (e) {
    emit({ event: 'error', seq: c.seq ?? null, error: String(e?.message || e) })
  }
}

await quit(0)
