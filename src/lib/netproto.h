/*
 * netproto.h - the messages between a node process and its network
 * process (serve.c, remote.c); private to the library.
 *
 * serve:  child -> parent  { ID, OP, PEER, BODY }
 *         parent -> child  { ID, STATUS, TYPE, BODY }
 * remote: parent -> child  { URL, OP, PEER, PIN, BODY, RATE, PROGRESS }
 *         child -> parent  { STATUS, BODY } or { ERROR }
 * Both first get { CERT, KEY, ... } from the parent: the TLS identity.
 */
#ifndef STRATA_NETPROTO_H
#define STRATA_NETPROTO_H

enum {
	T_OP = 0, T_ID, T_PEER, T_BODY, T_STATUS, T_TYPE, T_CERT, T_KEY, T_PINS,
	T_TIMEOUT, T_MAXBODY, T_URL, T_RATE, T_ERROR, T_PROGRESS
};

enum { OP_STATE = 1, OP_PULL, OP_PUSH };

/* A pin on the wire: the name NUL-padded to 64 bytes, then the raw key. */
#define PIN_WIRE (64 + 32)

/* Above any parcel (strata-parcel(5) caps) plus the message's own fields. */
#define NET_MSG_MAX ((size_t)0xffff0000u)

#endif
